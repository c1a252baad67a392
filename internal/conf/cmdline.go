package conf

import (
	"strings"

	"github.com/redoubt-db/redoubt/internal/splitargs"
)

// CommandLine is a redis-server command line taken apart as Redis 7.0's
// main does it.
type CommandLine struct {
	// File is the configuration file argument as given, if HasFile.
	File    string
	HasFile bool
	// Stdin is set when a "-" argument, first or last, asks for
	// configuration text on standard input.
	Stdin bool
	// Options is the configuration text the "--name value…" options stand
	// for, one directive per line, to be read after the file and standard
	// input.
	Options string
}

// ParseCommandLine takes the arguments of redis-server (without the program
// name) apart as Redis 7.0.15 does:
//
//   - A first argument that does not start with '-' is the config file.
//   - A "-" that is the first or the last argument reads configuration from
//     standard input.
//   - "--name" starts a directive line "name"; every following argument that
//     does not itself start with "--" is appended to it quoted as
//     splitargs.Quote quotes, so "--save", "" gives `save ""`. An argument
//     starting with "--" right after a bare "--name" is that option's value,
//     not a new option ("--hz --port" is `hz "--port"`), unless the name is
//     "--save", which then takes the value "" (pre-7.0.1 compatibility); a
//     "--save" at the very end takes "" too.
//   - "--name value" in one argument is taken as a whole line, unquoted.
//
// The special first arguments -v, --version, -h and --help are not handled
// here; a caller checks for them first, as redis-server does.
func ParseCommandLine(args []string) CommandLine {
	var cl CommandLine
	j := 0
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cl.File, cl.HasFile = args[0], true
		j = 1
	}
	var opts strings.Builder
	handledLast := true // the last option had at least one argument
	for ; j < len(args); j++ {
		a := args[j]
		switch {
		case a == "-" && (j == 0 || j == len(args)-1):
			cl.Stdin = true
		case handledLast && strings.HasPrefix(a, "--"):
			if opts.Len() > 0 {
				opts.WriteByte('\n')
			}
			opts.WriteString(a[2:])
			opts.WriteByte(' ')
			parts, err := splitargs.Split([]byte(a))
			if err != nil {
				parts = nil
			}
			if len(parts) != 1 {
				// "--name value" in one argument.
				handledLast = true
				break
			}
			handledLast = false
			last := j == len(args)-1
			nextIsOption := !last && strings.HasPrefix(args[j+1], "--")
			switch {
			case isOption(a, "--save") && nextIsOption:
				opts.WriteString(`""`)
				handledLast = true
			case isOption(a, "--save") && last:
				opts.WriteString(`""`)
			case isOption(a, "--sentinel") && nextIsOption:
				handledLast = true
			}
		default:
			opts.WriteString(splitargs.Quote([]byte(a)))
			opts.WriteByte(' ')
			handledLast = true
		}
	}
	cl.Options = opts.String()
	return cl
}

// isOption reports whether a equals name but for the case of ASCII letters,
// as C's strcasecmp.
func isOption(a, name string) bool { return Lower(a) == name }
