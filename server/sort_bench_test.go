package server

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// BenchmarkSort runs SORT over a list of 100 random integers, as
// redis-benchmark would: numerically, with ALPHA, and by weights read
// from other keys with GET.
func BenchmarkSort(b *testing.B) {
	srv := tcStart(&testing.T{}, Config{})
	c := tcDial(&testing.T{}, srv)
	rng := rand.New(rand.NewPCG(1, 2))
	args := []string{"RPUSH", "l"}
	for i := 0; i < 100; i++ {
		args = append(args, strconv.Itoa(rng.IntN(1000000)))
		c.do("SET", "w_"+args[len(args)-1], strconv.Itoa(rng.IntN(1000)))
	}
	c.do(args...)
	for _, cmd := range [][]string{{"SORT", "l"}, {"SORT", "l", "ALPHA"}, {"SORT", "l", "BY", "w_*", "GET", "w_*"}} {
		b.Run(cmd[len(cmd)-1], func(b *testing.B) {
			for range b.N {
				c.do(cmd...)
			}
		})
	}
}
