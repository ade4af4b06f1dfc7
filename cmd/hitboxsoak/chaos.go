package main

// What happens to Redis along the way.

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// action is one thing done to Redis.
type action int

const (
	actKill    action = iota + 1 // SIGKILL: connections refused, data lost
	actStart                     // start it again on the same port
	actPause                     // SIGSTOP: connections hang
	actResume                    // SIGCONT
	actRestart                   // kill and start at once
)

func (a action) String() string {
	return [...]string{actKill: "kill", actStart: "start", actPause: "pause", actResume: "resume", actRestart: "restart"}[a]
}

// event is an action at a time since the start of the load.
type event struct {
	At  time.Duration
	Act action
}

// schedule spreads the actions over a load of duration d: one cycle per
// started minute (at least one), each killing Redis at 15% of the cycle,
// starting it at 30%, pausing it at 50%, resuming it at 65% and restarting
// it at 80%, so Redis is up for the last fifth of every cycle.
func schedule(d time.Duration) []event {
	if d <= 0 {
		return nil
	}
	n := max(int(d/time.Minute), 1)
	cycle := d / time.Duration(n)
	var evs []event
	for i := range n {
		base := time.Duration(i) * cycle
		for _, s := range []struct {
			pct int
			act action
		}{{15, actKill}, {30, actStart}, {50, actPause}, {65, actResume}, {80, actRestart}} {
			evs = append(evs, event{At: base + cycle*time.Duration(s.pct)/100, Act: s.act})
		}
	}
	return evs
}

// redisState is what the reports say of Redis: up, down (killed) or
// paused.
type redisState struct{ v atomic.Value }

func (s *redisState) set(v string) { s.v.Store(v) }

func (s *redisState) String() string {
	if v, ok := s.v.Load().(string); ok {
		return v
	}
	return "up"
}

// runChaos does the actions of evs to r at their times after start, until
// ctx ends, writes a line for each to w and returns them ("12s kill").
// It stops at the first action that fails (Redis that does not start
// again would make the rest of the run meaningless) and returns its error.
func runChaos(ctx context.Context, start time.Time, evs []event, r *redisServer, state *redisState, w io.Writer) ([]string, error) {
	var done []string
	for _, ev := range evs {
		if !wait(ctx, time.Until(start.Add(ev.At))) {
			return done, nil
		}
		var err error
		switch ev.Act {
		case actKill:
			r.kill()
			state.set("down")
		case actStart, actRestart:
			r.kill()
			state.set("down")
			if err = r.restart(); err == nil {
				state.set("up")
			}
		case actPause:
			if err = r.pause(); err == nil {
				state.set("paused")
			}
		case actResume:
			if err = r.resume(); err == nil {
				state.set("up")
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return done, nil
			}
			return done, fmt.Errorf("redis %s: %w", ev.Act, err)
		}
		at := since(start)
		done = append(done, at+" "+ev.Act.String())
		fmt.Fprintf(w, "[%5s] redis: %s\n", at, ev.Act)
	}
	return done, nil
}

// since is the time since start in whole seconds, for the report lines.
func since(start time.Time) string {
	return time.Since(start).Truncate(time.Second).String()
}
