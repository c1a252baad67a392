package conformance

import (
	"bufio"
	"os"
	"strings"
)

// A script may start with "#! requires: CMD ..." lines naming commands it
// needs besides the ones it tests (OBJECT, TTL, HELLO…). TestRedoubt skips
// such a script, saying why, until Redoubt has every one of them, so that a
// group can record its Redis behaviour before another group's command lands;
// TestRedis always runs it.

// scriptRequires returns the commands a script's "#! requires:" lines name.
func scriptRequires(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "#! requires:"); ok {
			names = append(names, strings.Fields(rest)...)
		}
	}
	return names, sc.Err()
}

// missingCommands returns those of names the server at addr answers with
// "unknown command".
func missingCommands(addr string, names []string) ([]string, error) {
	c := &client{addr: addr}
	defer c.drop()
	var missing []string
	for _, name := range names {
		v, err := c.do([][]byte{[]byte(name)})
		if err != nil {
			return nil, err
		}
		if v.Kind == '-' && strings.HasPrefix(v.Str, "ERR unknown command") {
			missing = append(missing, name)
		}
	}
	return missing, nil
}
