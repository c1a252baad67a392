package server

import (
	"fmt"
	"slices"
	"strings"

	"github.com/redoubt-db/redoubt/internal/glob"
	"github.com/redoubt-db/redoubt/internal/keyspec"
)

// Commands of the "pubsub" group: SUBSCRIBE, PUBLISH, PUBSUB and their
// pattern and shard forms. The registry and the delivery are in pubsub.go.

// Reply texts of pub/sub.
const (
	msgSubscribedContext = "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
	msgDenyBlocking      = "ERR %s isn't allowed for a DENY BLOCKING client"
)

// Key specs of the shard commands: their channels are named where keys
// would be (for cluster routing), but are not keys.
var (
	ksShardChannels = []keyspec.Spec{{Flags: keyspec.NotKey, Index: 1, LastKey: -1, KeyStep: 1}}
	ksShardChannel  = []keyspec.Spec{{Flags: keyspec.NotKey, Index: 1, KeyStep: 1}}
)

func init() {
	const subFlags = flagPubSub | flagNoScript | flagLoading | flagStale
	registerCommands(
		&command{Name: "subscribe", Arity: -2, Flags: subFlags, Lock: lockNone,
			Group: "pubsub", Since: "2.0.0", Complexity: "O(N) where N is the number of channels to subscribe to.",
			Summary: "Subscribes the connection to channels: it then receives what is published on them.",
			Args:    []cmdArg{{Name: "channel", Type: argTypeString, Flags: argMultiple}},
			Run:     cmdSubscribe},
		&command{Name: "unsubscribe", Arity: -1, Flags: subFlags, Lock: lockNone,
			Group: "pubsub", Since: "2.0.0", Complexity: "O(N) where N is the number of clients already subscribed to a channel.",
			Summary: "Ends the connection's subscriptions to the given channels, or to every channel.",
			Args:    []cmdArg{{Name: "channel", Type: argTypeString, Flags: argOptional | argMultiple}},
			Run:     cmdUnsubscribe},
		&command{Name: "psubscribe", Arity: -2, Flags: subFlags, Lock: lockNone,
			Group: "pubsub", Since: "2.0.0", Complexity: "O(N) where N is the number of patterns the client is already subscribed to.",
			Summary: "Subscribes the connection to glob-style patterns: it then receives what is published on every matching channel.",
			Args: []cmdArg{{Name: "pattern", Type: argTypeBlock, Flags: argMultiple, Args: []cmdArg{
				{Name: "pattern", Type: argTypePattern},
			}}},
			Run: cmdPsubscribe},
		&command{Name: "punsubscribe", Arity: -1, Flags: subFlags, Lock: lockNone,
			Group: "pubsub", Since: "2.0.0",
			Complexity: "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).",
			Summary:    "Ends the connection's subscriptions to the given patterns, or to every pattern.",
			Args:       []cmdArg{{Name: "pattern", Type: argTypePattern, Flags: argOptional | argMultiple}},
			Run:        cmdPunsubscribe},
		&command{Name: "publish", Arity: 3, Flags: flagPubSub | flagLoading | flagStale | flagFast | flagMayReplicate, Lock: lockNone,
			Group: "pubsub", Since: "2.0.0",
			Complexity: "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).",
			Summary:    "Sends a message to the subscribers of a channel and of the patterns it matches; returns how many received it.",
			Args: []cmdArg{
				{Name: "channel", Type: argTypeString},
				{Name: "message", Type: argTypeString},
			},
			Run: cmdPublish},
		&command{Name: "ssubscribe", Arity: -2, Flags: subFlags, Lock: lockNone, KeySpecs: ksShardChannels,
			Group: "pubsub", Since: "7.0.0", Complexity: "O(N) where N is the number of shard channels to subscribe to.",
			Summary: "Subscribes the connection to shard channels.",
			Args:    []cmdArg{{Name: "shardchannel", Type: argTypeString, Flags: argMultiple}},
			Run:     cmdSsubscribe},
		&command{Name: "sunsubscribe", Arity: -1, Flags: subFlags, Lock: lockNone, KeySpecs: ksShardChannels,
			Group: "pubsub", Since: "7.0.0", Complexity: "O(N) where N is the number of clients already subscribed to a shard channel.",
			Summary: "Ends the connection's subscriptions to the given shard channels, or to every shard channel.",
			Args:    []cmdArg{{Name: "shardchannel", Type: argTypeString, Flags: argOptional | argMultiple}},
			Run:     cmdSunsubscribe},
		&command{Name: "spublish", Arity: 3, Flags: flagPubSub | flagLoading | flagStale | flagFast | flagMayReplicate, Lock: lockNone,
			KeySpecs: ksShardChannel,
			Group:    "pubsub", Since: "7.0.0", Complexity: "O(N) where N is the number of clients subscribed to the receiving shard channel.",
			Summary: "Sends a message to the subscribers of a shard channel; returns how many received it.",
			Args: []cmdArg{
				{Name: "shardchannel", Type: argTypeString},
				{Name: "message", Type: argTypeString},
			},
			Run: cmdSpublish},
		&command{Name: "pubsub", Arity: -2, Group: "pubsub", Since: "2.8.0",
			Complexity: "Depends on subcommand.",
			Summary:    "Inspects the pub/sub state: active channels, subscriber counts, pattern count.",
			Subcommands: []*command{
				pubsubSub("channels", -2, "2.8.0",
					"O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)",
					"Lists the channels that have subscribers, optionally those matching a pattern.",
					[]cmdArg{{Name: "pattern", Type: argTypePattern, Flags: argOptional}}, cmdPubsubChannels),
				pubsubSub("numsub", -2, "2.8.0", "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
					"Returns the number of subscribers of each given channel, patterns not counted.",
					[]cmdArg{{Name: "channel", Type: argTypeString, Flags: argOptional | argMultiple}}, cmdPubsubNumsub),
				pubsubSub("numpat", 2, "2.8.0", "O(1)",
					"Returns the number of distinct patterns that have subscribers.", nil, cmdPubsubNumpat),
				pubsubSub("shardchannels", -2, "7.0.0",
					"O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).",
					"Lists the shard channels that have subscribers, optionally those matching a pattern.",
					[]cmdArg{{Name: "pattern", Type: argTypePattern, Flags: argOptional}}, cmdPubsubShardchannels),
				pubsubSub("shardnumsub", -2, "7.0.0", "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
					"Returns the number of subscribers of each given shard channel.",
					[]cmdArg{{Name: "shardchannel", Type: argTypeString, Flags: argOptional | argMultiple}}, cmdPubsubShardnumsub),
				{Name: "help", Arity: 2, Flags: flagLoading | flagStale, Lock: lockNone,
					Group: "pubsub", Since: "6.2.0", Complexity: "O(1)",
					Summary: "Lists the PUBSUB subcommands.", Run: cmdPubsubHelp},
			}},
	)
}

func pubsubSub(name string, arity int, since, complexity, summary string, args []cmdArg, run func(*client, [][]byte)) *command {
	return &command{Name: name, Arity: arity, Flags: flagPubSub | flagLoading | flagStale, Lock: lockNone,
		Group: "pubsub", Since: since, Complexity: complexity, Summary: summary, Args: args, Run: run}
}

// refuseSubscribed is the dispatcher's check of RESP2's subscribed mode
// (Redis's processCommand): a RESP2 client with subscriptions may only
// (un)subscribe, PING, QUIT and RESET. It replies the error and reports
// true for any other command.
func (c *client) refuseSubscribed(cmd *command) bool {
	if c.proto != 2 {
		return false
	}
	if cmd.parent == nil {
		switch cmd.Name {
		case "ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe",
			"psubscribe", "punsubscribe", "quit", "reset":
			return false
		}
	}
	c.s.cmdStats[cmd.id].rejected.Add(1)
	c.flagTransaction()
	msg := fmt.Sprintf(msgSubscribedContext, cmd.fullName)
	if cmd.fullName == "exec" {
		// As any refusal of EXEC: the reason comes after EXECABORT's
		// prefix, with or without a transaction to discard.
		c.abortExec(strings.TrimPrefix(msg, "ERR "))
		return true
	}
	c.writeErrorReply(msg)
	return true
}

// deniedSubscribe replies an error when c may not subscribe: a client that
// expects one reply per command (CLIENT_DENY_BLOCKING: inside EXEC or a
// script) except, for the commands older than shard channels, inside EXEC,
// as Redis allows for backward compatibility.
func (c *client) deniedSubscribe(name string, inMultiOK bool) bool {
	if !c.denyBlocking || (inMultiOK && c.multi != nil) {
		return false
	}
	c.writeErrorReply(fmt.Sprintf(msgDenyBlocking, name))
	return true
}

// subscribeCount is the count a confirmation reports: channels and
// patterns together, or shard channels alone.
func (c *client) subscribeCount(kind subKind) int32 {
	if kind == subShard {
		return c.ps.count[subShard].Load()
	}
	return c.ps.count[subChannel].Load() + c.ps.count[subPattern].Load()
}

// subscribeAll subscribes c to each name and confirms each.
func (c *client) subscribeAll(kind subKind, action string, names [][]byte) {
	for _, name := range names {
		c.s.ps.subscribe(c, kind, name)
		c.writeSubscribeReply(action, name, c.subscribeCount(kind))
	}
}

// unsubscribeNames ends c's subscriptions to names, or to every topic of
// kind when names is empty, and confirms each (a null topic when there was
// nothing to end).
func (c *client) unsubscribeNames(kind subKind, action string, names [][]byte) {
	if len(names) > 0 {
		for _, name := range names {
			c.s.ps.unsubscribe(c, kind, name)
			c.writeSubscribeReply(action, name, c.subscribeCount(kind))
		}
		return
	}
	if c.ps.first[kind] == nil {
		c.writeSubscribeReply(action, nil, c.subscribeCount(kind))
		return
	}
	for sub := c.ps.first[kind]; sub != nil; sub = c.ps.first[kind] {
		name := sub.t.name
		c.s.ps.remove(sub)
		c.writeSubscribeReply(action, []byte(name), c.subscribeCount(kind))
	}
}

func cmdSubscribe(c *client, args [][]byte) {
	if c.deniedSubscribe("SUBSCRIBE", true) {
		return
	}
	c.subscribeAll(subChannel, "subscribe", args[1:])
}

func cmdPsubscribe(c *client, args [][]byte) {
	if c.deniedSubscribe("PSUBSCRIBE", true) {
		return
	}
	c.subscribeAll(subPattern, "psubscribe", args[1:])
}

func cmdSsubscribe(c *client, args [][]byte) {
	if c.deniedSubscribe("SSUBSCRIBE", false) {
		return
	}
	c.subscribeAll(subShard, "ssubscribe", args[1:])
}

func cmdUnsubscribe(c *client, args [][]byte) {
	c.unsubscribeNames(subChannel, "unsubscribe", args[1:])
}

func cmdPunsubscribe(c *client, args [][]byte) {
	c.unsubscribeNames(subPattern, "punsubscribe", args[1:])
}

func cmdSunsubscribe(c *client, args [][]byte) {
	c.unsubscribeNames(subShard, "sunsubscribe", args[1:])
}

func cmdPublish(c *client, args [][]byte) {
	c.WriteInt(int64(c.s.publish(c, args[1], args[2])))
}

func cmdSpublish(c *client, args [][]byte) {
	c.WriteInt(int64(c.s.spublish(c, args[1], args[2])))
}

func cmdPubsubChannels(c *client, args [][]byte) {
	c.writeTopicList(subChannel, args)
}

func cmdPubsubShardchannels(c *client, args [][]byte) {
	c.writeTopicList(subShard, args)
}

// writeTopicList replies the channels of kind that have subscribers, those
// matching the pattern args[2] if given (PUBSUB CHANNELS, SHARDCHANNELS).
func (c *client) writeTopicList(kind subKind, args [][]byte) {
	if len(args) > 3 {
		c.writePubsubSyntaxError(args)
		return
	}
	r := &c.s.ps
	var names []string
	r.mu.RLock()
	for name := range r.topics[kind] {
		if len(args) == 2 || glob.MatchString(string(args[2]), name, false) {
			names = append(names, name)
		}
	}
	r.mu.RUnlock()
	slices.Sort(names)
	c.WriteArray(len(names))
	for _, name := range names {
		c.WriteBulkString(name)
	}
}

func cmdPubsubNumsub(c *client, args [][]byte) {
	c.writeSubscriberCounts(subChannel, args[2:])
}

func cmdPubsubShardnumsub(c *client, args [][]byte) {
	c.writeSubscriberCounts(subShard, args[2:])
}

// writeSubscriberCounts replies each name with its number of subscribers
// in kind's namespace (PUBSUB NUMSUB, SHARDNUMSUB).
func (c *client) writeSubscriberCounts(kind subKind, names [][]byte) {
	c.WriteArray(2 * len(names))
	r := &c.s.ps
	for _, name := range names {
		r.mu.RLock()
		n := 0
		if t := r.topics[kind][string(name)]; t != nil {
			n = len(t.subs)
		}
		r.mu.RUnlock()
		c.WriteBulk(name)
		c.WriteInt(int64(n))
	}
}

func cmdPubsubNumpat(c *client, args [][]byte) {
	_, patterns, _ := c.s.pubsubCounts()
	c.WriteInt(int64(patterns))
}

// writePubsubSyntaxError is Redis's reply to a PUBSUB subcommand with too
// many arguments.
func (c *client) writePubsubSyntaxError(args [][]byte) {
	c.writeErrorReply(fmt.Sprintf(msgSubcommandSyntax, cTrunc(args[1], 128), "PUBSUB"))
}

var pubsubHelpLines = []string{
	"CHANNELS [<pattern>]",
	"    Return the currently active channels matching a <pattern> (default: '*').",
	"NUMPAT",
	"    Return number of subscriptions to patterns.",
	"NUMSUB [<channel> ...]",
	"    Return the number of subscribers for the specified channels, excluding",
	"    pattern subscriptions(default: no channels).",
	"SHARDCHANNELS [<pattern>]",
	"    Return the currently active shard level channels matching a <pattern> (default: '*').",
	"SHARDNUMSUB [<shardchannel> ...]",
	"    Return the number of subscribers for the specified shard level channel(s)",
}

func cmdPubsubHelp(c *client, args [][]byte) { c.writeHelpReply(args[0], pubsubHelpLines) }

// writeSubscribedPong is PING's reply in RESP2's subscribed mode, where a
// simple string could not be told from a message: an array of "pong" and
// the argument, or an empty string.
func (c *client) writeSubscribedPong(args [][]byte) {
	c.WriteArray(2)
	c.WriteBulkString("pong")
	if len(args) == 1 {
		c.WriteBulkString("")
	} else {
		c.WriteBulk(args[1])
	}
}
