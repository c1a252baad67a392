package server

import (
	"strings"
	"testing"
)

// TestDisabledCommandsAreRejectedCalls checks the statistics of refused
// DEBUG and MODULE LOAD calls: rejected, never called, as Redis counts a
// command its enable-*-command directive turns off.
func TestDisabledCommandsAreRejectedCalls(t *testing.T) {
	s := tcStart(t, Config{})
	c := tcDial(t, s)
	for _, cmd := range [][]string{{"DEBUG", "SLEEP", "0"}, {"DEBUG", "HELP"}, {"MODULE", "LOAD", "/x.so"}, {"MODULE", "LIST"}} {
		c.do(cmd...)
	}
	stats := c.str("INFO", "commandstats")
	for _, want := range []string{
		"cmdstat_debug:calls=0,usec=0,usec_per_call=0.00,rejected_calls=2,failed_calls=0",
		"cmdstat_module|load:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0",
		"cmdstat_module|list:calls=1,",
	} {
		if !strings.Contains(stats, want) {
			t.Errorf("INFO commandstats lacks %q:\n%s", want, stats)
		}
	}
	if got := tcInfo(c.str("INFO", "errorstats"))["errorstat_ERR"]; got != "count=3" {
		t.Errorf("errorstat_ERR = %q, want count=3", got)
	}
}
