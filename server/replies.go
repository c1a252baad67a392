package server

// Exact Redis 7.0 reply texts. Clients and tests match on these, so they
// live in one place and are only ever copied from Redis's wire behaviour
// (verified by the conformance suite), never paraphrased.
const (
	msgWrongArgs         = "ERR wrong number of arguments for '%s' command"
	msgUnknownCommand    = "ERR unknown command '%s', with args beginning with: %s"
	msgUnknownSubcommand = "ERR unknown subcommand '%s'. Try %s HELP."
	msgSyntax            = "ERR syntax error"
	msgWrongType         = "WRONGTYPE Operation against a key holding the wrong kind of value"
	msgNotInteger        = "ERR value is not an integer or out of range"
	msgNotFloat          = "ERR value is not a valid float"
	msgOverflow          = "ERR increment or decrement would overflow"
	msgNaNOrInf          = "ERR increment would produce NaN or Infinity"
	msgTooLarge          = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	msgNoSuchKey         = "ERR no such key"
	msgInvalidExpire     = "ERR invalid expire time in '%s' command"
	msgDBIndexRange      = "ERR DB index is out of range"
	msgInvalidDBIndex    = "ERR invalid DB index"
	msgSameObject        = "ERR source and destination objects are the same"
	msgMaxClients        = "ERR max number of clients reached"
	msgMaxClientsOS      = "The operating system is not able to handle the specified number of clients, try with %d"
	msgListenPort        = "Unable to listen on this port. Check server logs."
	msgSubcommandSyntax  = "ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP."
	msgModuleLoad        = "ERR Error loading the extension. Please check the server logs."
	msgModuleUnload      = "ERR Error unloading module: no such module with that name"
	msgCommandDisabled   = "ERR %s command not allowed. If the %s option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."
	msgListenBind        = "Failed to bind to specified addresses."
	msgDenied            = "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside."
	msgNoProto           = "NOPROTO unsupported protocol version"
)

// Replies of the "generic" group (key commands).
const (
	msgInvalidCursor     = "ERR invalid cursor"
	msgUnsupportedOption = "ERR Unsupported option %s"
	msgExpireNXAndOthers = "ERR NX and XX, GT or LT options at the same time are not compatible"
	msgExpireGTAndLT     = "ERR GT and LT options at the same time are not compatible"
	msgLFUNotSelected    = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
)

// objectHelp is the body of OBJECT HELP (writeHelpReply adds the rest).
var objectHelp = []string{
	"ENCODING <key>",
	"    Return the kind of internal representation used in order to store the value",
	"    associated with a <key>.",
	"FREQ <key>",
	"    Return the access frequency index of the <key>. The returned integer is",
	"    proportional to the logarithm of the recent access frequency of the key.",
	"IDLETIME <key>",
	"    Return the idle time of the <key>, that is the approximated number of",
	"    seconds elapsed since the last access to the key.",
	"REFCOUNT <key>",
	"    Return the number of references of the value associated with the specified",
	"    <key>.",
}

// Replies of the string group.
const (
	msgOffsetRange  = "ERR offset is out of range"
	msgDecrOverflow = "ERR decrement would overflow"
	msgLCSWrongType = "ERR The specified keys must contain string values"
	msgLCSLenAndIdx = "ERR If you want both the length and indexes, please just use IDX."
	msgLCSTooLong   = "ERR String too long for LCS"
	msgLCSTooBig    = "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
)

// Connection, server, CLIENT and INFO commands (HELLO, AUTH, RESET, SWAPDB,
// SHUTDOWN, WAIT, CLIENT …).
const (
	msgHelloProtoNotInt = "ERR Protocol version is not an integer or out of range"
	msgHelloSyntax      = "ERR Syntax error in HELLO option '%s'"
	msgWrongPass        = "WRONGPASS invalid username-password pair or user is disabled."
	msgAuthNoPassword   = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
	msgClientNameBad    = "ERR Client names cannot contain spaces, newlines or special characters."
	msgClientAttrBad    = "ERR %s cannot contain spaces, newlines or special characters."
	msgClientAttrOption = "ERR Unrecognized option '%s'"
	msgClientType       = "ERR Unknown client type '%s'"
	msgClientIDInvalid  = "ERR Invalid client ID"
	msgClientIDPositive = "ERR client-id should be greater than 0"
	msgNoSuchUser       = "ERR No such user '%s'"
	msgNoSuchClient     = "ERR No such client"
	msgFirstDBIndex     = "ERR invalid first DB index"
	msgSecondDBIndex    = "ERR invalid second DB index"
	msgNoShutdown       = "ERR No shutdown in progress."
	msgShutdownFailed   = "ERR Errors trying to SHUTDOWN. Check logs."
	msgTimeoutNotInt    = "ERR timeout is not an integer or out of range"
	msgTimeoutNegative  = "ERR timeout is negative"
)

// CONFIG (cmd_config.go).
const (
	msgConfigSetUnknown = "ERR Unknown option or number of arguments for CONFIG SET - '%s'"
	msgConfigSetFailed  = "ERR CONFIG SET failed (possibly related to argument '%s') - %s"
	msgConfigImmutable  = "can't set immutable config"
	msgConfigProtected  = "can't set protected config"
	msgConfigDuplicate  = "duplicate parameter"
	msgConfigNoFile     = "ERR The server is running without a config file"
)

// COMMAND (cmd_command.go).
const (
	msgInvalidCommand   = "ERR Invalid command specified"
	msgNoKeyArguments   = "ERR The command has no key arguments"
	msgInvalidArgCount  = "ERR Invalid number of arguments specified for command"
	msgInvalidArguments = "ERR Invalid arguments specified for command"
	// The first and last lines of a container's HELP reply; %s is the
	// container's name in capitals.
	msgHelpHeader  = "%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
	msgHelpFooter1 = "HELP"
	msgHelpFooter2 = "    Prints this help."
)

// commandHelpLines are the lines of COMMAND HELP between its header and
// footer.
var commandHelpLines = []string{
	"(no subcommand)",
	"    Return details about all Redis commands.",
	"COUNT",
	"    Return the total number of commands in this Redis server.",
	"LIST",
	"    Return a list of all commands in this Redis server.",
	"INFO [<command-name> ...]",
	"    Return details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"DOCS [<command-name> ...]",
	"    Return documentation details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"GETKEYS <full-command>",
	"    Return the keys from a full Redis command.",
	"GETKEYSANDFLAGS <full-command>",
	"    Return the keys and the access flags from a full Redis command.",
}
