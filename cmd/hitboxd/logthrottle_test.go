package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// lines returns what b holds, line by line.
func (b *syncBuffer) lines() []string {
	return strings.Split(strings.TrimSpace(b.String()), "\n")
}

// TestThrottleOneLinePerBackend: a burst of warnings of one backend writes
// one line, then one summary per interval with the counts, and nothing
// more once the warnings stop; other sources have their own line; records
// below WARN pass.
func TestThrottleOneLinePerBackend(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out syncBuffer
		th := newThrottle(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}), 10*time.Second)
		log := slog.New(th)
		burst := func(n int) {
			for i := range n {
				log.Warn("hitbox: cache read failed", "backend", "redis", "key", i)
				log.Error("hitbox: cache write failed", "backend", "redis", "key", i)
				log.Warn("httpcache: cache flow failed", "key", i)
			}
		}
		burst(1000)
		log.Info("still running")
		log.Error("reload failed, the running configuration stays", "err", "bad file")
		log.Error("reload failed, the running configuration stays", "err", "bad file") // not a request's: written
		log.With("endpoint", "books").Warn("hitbox: cache read failed", "backend", "memory")
		if got := out.lines(); len(got) != 6 {
			t.Fatalf("after the burst: %d lines, want 6 (one per source, the info, two reload errors):\n%s", len(got), strings.Join(got, "\n"))
		}

		time.Sleep(10 * time.Second)
		synctest.Wait()
		got := out.lines()
		if len(got) != 8 {
			t.Fatalf("after one interval: %d lines, want 8 (2 summaries):\n%s", len(got), strings.Join(got, "\n"))
		}
		summaries := strings.Join(got[6:], "\n")
		for _, want := range []string{
			`level=ERROR msg="repeated log lines suppressed" backend=redis suppressed=1999 interval=10s "by_message.hitbox: cache read failed"=999 "by_message.hitbox: cache write failed"=1000`,
			`level=WARN msg="repeated log lines suppressed" suppressed=999 interval=10s "by_message.httpcache: cache flow failed"=999`,
		} {
			if !strings.Contains(summaries, want) {
				t.Errorf("summaries lack %s:\n%s", want, summaries)
			}
		}

		burst(10) // still within the outage: counted in the next interval
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if got := out.lines(); len(got) != 10 {
			t.Fatalf("after the second interval: %d lines, want 10:\n%s", len(got), strings.Join(got, "\n"))
		}
		time.Sleep(30 * time.Second) // quiet: the sources are free again
		synctest.Wait()
		log.Warn("hitbox: cache read failed", "backend", "redis")
		if got := out.lines(); len(got) != 11 || !strings.Contains(got[10], `msg="hitbox: cache read failed"`) {
			t.Fatalf("a warning after a quiet interval: %d lines, want it written at once:\n%s", len(got), strings.Join(got, "\n"))
		}
		log.Warn("hitbox: cache read failed", "backend", "redis")
		th.Close() // writes the pending summary
		if got := out.lines(); len(got) != 12 || !strings.Contains(got[11], "suppressed=1") {
			t.Fatalf("Close: %d lines, want the pending summary:\n%s", len(got), strings.Join(got, "\n"))
		}
		log.Warn("after close", "backend", "redis")
		if got := out.lines(); len(got) != 13 {
			t.Errorf("a record after Close was not passed on")
		}
	})
}

// TestRedisLoggerRoutes: go-redis's lines reach the logger the proxy set,
// as structured warnings, and are dropped when none is set.
func TestRedisLoggerRoutes(t *testing.T) {
	t.Parallel()
	var out syncBuffer
	l := &redisLogger{}
	l.Printf(context.Background(), "dropped %d", 1)
	l.set(slog.New(slog.NewTextHandler(&out, nil)))
	l.Printf(context.Background(), "redis: connection pool: failed to dial after %d attempts: %s", 5, "refused")
	l.set(nil)
	l.Printf(context.Background(), "dropped %d", 2)
	got := out.lines()
	if len(got) != 1 || !strings.Contains(got[0], `level=WARN msg="redis client" backend=redis detail="redis: connection pool: failed to dial after 5 attempts: refused"`) {
		t.Errorf("routed lines:\n%s", strings.Join(got, "\n"))
	}
}
