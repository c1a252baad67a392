package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
)

// shapeFigures are one server's measurements of one shape.
type shapeFigures struct {
	rssBefore, rssAfter   int64
	usedBefore, usedAfter int64 // INFO memory's used_memory, or -1
	loadTime              time.Duration
	check                 string // checkShape's verdict
	// missing says why the shape was not loaded into this server (a
	// command it lacks), or is empty.
	missing string
}

// perElement is the growth of the resident set per element, or NaN if the
// shape was not loaded.
func (f shapeFigures) perElement(elements int) float64 {
	if f.missing != "" || elements == 0 {
		return math.NaN()
	}
	return float64(f.rssAfter-f.rssBefore) / float64(elements)
}

// usedPerElement is the growth of used_memory per element, or NaN.
func (f shapeFigures) usedPerElement(elements int) float64 {
	if f.missing != "" || f.usedBefore < 0 || f.usedAfter < 0 || elements == 0 {
		return math.NaN()
	}
	return float64(f.usedAfter-f.usedBefore) / float64(elements)
}

// shapeResult is one shape's figures on both servers.
type shapeResult struct {
	shape          *shape
	n              int // the size given to the shape (-elements)
	redis, redoubt shapeFigures
}

// selectShapes returns the shapes a -shapes list names, in shapes' order;
// "none" selects none.
func selectShapes(list string) ([]*shape, error) {
	if list == "none" {
		return nil, nil
	}
	want := map[string]bool{}
	for _, name := range splitList(list) {
		found := false
		for _, s := range shapes {
			found = found || s.name == name
		}
		if !found {
			return nil, fmt.Errorf("-shapes: unknown shape %q (known: %s)", name, shapeNames())
		}
		want[name] = true
	}
	var out []*shape
	for _, s := range shapes {
		if want[s.name] {
			out = append(out, s)
		}
	}
	return out, nil
}

func shapeNames() string {
	var names []string
	for _, s := range shapes {
		names = append(names, s.name)
	}
	return joinList(names)
}

// runShapes loads each shape into a fresh pair of servers and measures how
// much each one's resident set grew.
func runShapes(ctx context.Context, o options, t tools, dir string, progress func(string, ...any)) ([]shapeResult, error) {
	var out []shapeResult
	for _, s := range o.shapes {
		r, err := measureShape(ctx, o, t, dir, s, progress)
		if err != nil {
			return nil, fmt.Errorf("memory, %s: %w", s.shapeTitle(o.elements), err)
		}
		out = append(out, r)
	}
	return out, nil
}

func measureShape(ctx context.Context, o options, t tools, dir string, s *shape, progress func(string, ...any)) (shapeResult, error) {
	res := shapeResult{shape: s, n: o.elements}
	redis, redoubt, err := startPair(ctx, t, dir, o)
	if err != nil {
		return res, err
	}
	defer redis.stop()
	defer redoubt.stop()
	// Let start-up finish (Redis's first cron, Go's first GC) first.
	if err := sleep(ctx, time.Second); err != nil {
		return res, err
	}
	servers := []struct {
		p *serverProc
		f *shapeFigures
	}{{redis, &res.redis}, {redoubt, &res.redoubt}}
	// Both servers are loaded one after the other, so that neither load
	// competes with the other for the CPUs, then both settle at once.
	var loaded []int
	for i, sv := range servers {
		f := sv.f
		if _, err := sv.p.do(ctx, s.probe...); err != nil {
			var er errReply
			if !errors.As(err, &er) {
				return res, fmt.Errorf("probing %s: %w", sv.p.name, err)
			}
			f.missing = fmt.Sprintf("%s replies %q", s.probe[0], shortError(er))
			progress("memory: %s: not loaded into %s: %s", s.name, sv.p.name, f.missing)
			continue
		}
		// The probe's key is deleted before the figures are taken.
		if _, err := sv.p.do(ctx, "DEL", s.probe[1]); err != nil {
			return res, err
		}
		if f.rssBefore, err = sv.p.rss(); err != nil {
			return res, err
		}
		f.usedBefore = usedMemory(ctx, sv.p)
		t0 := time.Now()
		if err := loadShape(ctx, sv.p, s, o.elements); err != nil {
			if aerr := sv.p.alive(); aerr != nil {
				err = aerr
			}
			var er errReply
			if errors.As(err, &er) && ctx.Err() == nil {
				// A server that has the command but refuses part of the
				// load is reported, not fatal: the other's figures stand.
				f.missing = "load failed: " + shortError(err)
				progress("memory: %s: %s %s", s.name, sv.p.name, f.missing)
				continue
			}
			return res, fmt.Errorf("loading into %s: %w", sv.p.name, err)
		}
		f.loadTime = time.Since(t0)
		progress("memory: %s: loaded %s into %s in %.1fs", s.name, s.shapeTitle(o.elements), sv.p.name, f.loadTime.Seconds())
		loaded = append(loaded, i)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(servers))
	for _, i := range loaded {
		wg.Add(1)
		go func() { // returns when the server has settled
			defer wg.Done()
			sv := servers[i]
			if sv.f.rssAfter, errs[i] = settle(ctx, sv.p); errs[i] != nil {
				return
			}
			sv.f.usedAfter = usedMemory(ctx, sv.p)
			sv.f.check = checkShape(ctx, sv.p, s, o.elements)
			errs[i] = sv.p.alive()
		}()
	}
	wg.Wait()
	return res, errors.Join(errs...)
}
