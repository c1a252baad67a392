package conformance

import (
	"strconv"
	"testing"
)

// TestLatencyHistogramMatchesRedis checks LATENCY HISTOGRAM's layout on both
// servers: a map from command name to calls and histogram_usec, whose keys
// are HdrHistogram's power-of-two reporting levels in microseconds (1, 2, 4,
// 8, 16, 33, 66, 132…, the levels Redis prints) with cumulative counts that
// grow and end at the number of calls. Durations differ, so the buckets
// themselves are not compared.
func TestLatencyHistogramMatchesRedis(t *testing.T) {
	redoubt, redis := startBoth(t)
	// The levels: 1024 ns doubling, each the top of HdrHistogram's bucket
	// (1/128 of its power of two wide), in whole microseconds.
	levels := map[int64]bool{}
	for v := int64(1024); v <= 1<<31; v *= 2 {
		levels[(v+v/128-1)/1000] = true
	}
	for _, srv := range []struct {
		name string
		c    *client
	}{{"Redis", redis}, {"Redoubt", redoubt}} {
		t.Run(srv.name, func(t *testing.T) {
			c := srv.c
			for range 100 {
				mustDo(t, c, "SET", "k", "v")
			}
			for range 30 {
				mustDo(t, c, "ECHO", "x")
			}
			for _, proto := range []string{"2", "3"} {
				mustDo(t, c, "HELLO", proto)
				v := mustDo(t, c, "LATENCY", "HISTOGRAM", "set", "echo", "nosuchcommand", "SET|x")
				if len(v.Elems) != 4 || v.Elems[0].Str != "set" || v.Elems[2].Str != "echo" {
					t.Fatalf("RESP%s: LATENCY HISTOGRAM = %s", proto, v)
				}
				for i, want := range []int64{100, 30} {
					h := v.Elems[2*i+1]
					if len(h.Elems) != 4 || h.Elems[0].Str != "calls" || h.Elems[2].Str != "histogram_usec" {
						t.Fatalf("RESP%s: %s", proto, h)
					}
					if n, _ := strconv.ParseInt(h.Elems[1].Str, 10, 64); n != want {
						t.Errorf("RESP%s: %s calls = %d, want %d", proto, v.Elems[2*i].Str, n, want)
					}
					buckets := h.Elems[3].Elems
					var prevN int64
					for j := 0; j+1 < len(buckets); j += 2 {
						us, _ := strconv.ParseInt(buckets[j].Str, 10, 64)
						n, _ := strconv.ParseInt(buckets[j+1].Str, 10, 64)
						if !levels[us] || n <= prevN {
							t.Errorf("RESP%s: %s buckets %s", proto, v.Elems[2*i].Str, h.Elems[3])
							break
						}
						prevN = n
					}
					if prevN != want {
						t.Errorf("RESP%s: %s buckets end at %d calls, want %d", proto, v.Elems[2*i].Str, prevN, want)
					}
				}
				mustDo(t, c, "CONFIG", "RESETSTAT")
				for range 100 {
					mustDo(t, c, "SET", "k", "v")
				}
				for range 30 {
					mustDo(t, c, "ECHO", "x")
				}
			}
		})
	}
}
