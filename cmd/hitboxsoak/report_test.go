package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestProgressLine(t *testing.T) {
	t.Parallel()
	var delta, total tally
	delta.Requests, delta.Status[csHit], delta.Status[csMiss] = 500, 300, 100
	total = delta
	total.Unexpected[errCorrupt], total.Unexpected[err502], total.Expected[err500] = 1, 2, 7
	line := progress{Elapsed: 20 * time.Second, Window: 10 * time.Second, Delta: delta, Total: total,
		Upstream: 99, RSS: 3 << 20, RSSPeak: 5 << 20, Goroutines: 40, Redis: "paused"}.String()
	for _, want := range []string{"[  20s]", "req 500 (50/s)", "hit 75.0%", "unexpected 3, expected 7, corrupt 1", "upstream 99", "rss 3.0MiB (peak 5.0MiB)", "goroutines 40", "redis paused"} {
		if !strings.Contains(line, want) {
			t.Errorf("progress line %q lacks %q", line, want)
		}
	}
}

func TestSummaryWrite(t *testing.T) {
	t.Parallel()
	var s summary
	s.Duration = 2 * time.Minute
	s.Kinds[kindHot].Requests, s.Kinds[kindHot].Status[csHit] = 1200, 1200
	s.Kinds[kindFail].Requests, s.Kinds[kindFail].Expected[err500] = 10, 10
	s.Kinds[kindLarge].Requests, s.Kinds[kindLarge].Unexpected[errCorrupt] = 2, 2
	s.Calls[kindFail] = 10
	s.RSSStart, s.RSSPeak, s.RSSEnd = 10<<20, 40<<20, 15<<20
	s.Chaos = []string{"9s kill", "18s start"}
	var b bytes.Buffer
	s.write(&b)
	out := b.String()
	for _, want := range []string{"requests     1212 (10/s)", "unexpected 2 (corrupt body: 2); expected 10 (500: 10)",
		"corrupt      2 bodies", "upstream     10 calls", "growth 5.0MiB", "2 actions: 9s kill, 18s start", "exit status 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

func TestVerdict(t *testing.T) {
	t.Parallel()
	var s summary
	s.Kinds[kindHot].Unexpected[err502] = 5 // reported, not failed on
	if err := verdict(s, nil); err != nil {
		t.Errorf("verdict with unexpected 502s = %v, want nil", err)
	}
	s.Kinds[kindHot].Unexpected[errCorrupt] = 1
	if err := verdict(s, nil); !errors.Is(err, errCorruptBodies) {
		t.Errorf("verdict with a corrupt body = %v, want errCorruptBodies", err)
	}
	if err := verdict(summary{Alarms: 1}, nil); err == nil {
		t.Error("verdict with a panic in hitboxd's output = nil")
	}
}

func TestParseFlags(t *testing.T) {
	t.Parallel()
	o, err := parseFlags([]string{"-duration", "10m", "-clients", "8"}, &bytes.Buffer{})
	if err != nil || o.duration != 10*time.Minute || o.clients != 8 || o.rate != 200 || !o.chaos {
		t.Errorf("parseFlags = %+v, %v", o, err)
	}
	for _, bad := range [][]string{{"-duration", "0"}, {"-clients", "0"}, {"-rate", "0"}, {"-slow", "10ms"}, {"extra"}, {"-nope"}} {
		if _, err := parseFlags(bad, &bytes.Buffer{}); !errors.Is(err, errUsage) {
			t.Errorf("parseFlags(%q) = %v, want errUsage", bad, err)
		}
	}
}

// TestWatcherCounts: markers are found across writes, and the head keeps
// the listening lines.
func TestWatcherCounts(t *testing.T) {
	t.Parallel()
	var sink bytes.Buffer
	w := newWatcher(&sink)
	for _, p := range []string{"time=x level=INFO msg=\"proxy listening\" addr=127.0.0.1:1\n", "time=x level=WARN msg=a\npan", "ic: boom\n", "time=x level=ERROR msg=b\n"} {
		_, _ = w.Write([]byte(p))
	}
	alarms, lines, warns, errs := w.counts()
	if alarms != 1 || lines != 4 || warns != 1 || errs != 1 {
		t.Errorf("counts = %d alarms, %d lines, %d WARN, %d ERROR; want 1, 4, 1, 1", alarms, lines, warns, errs)
	}
	if m := w.find(reProxyListening); m == nil || m[1] != "127.0.0.1:1" {
		t.Errorf("find(proxy listening) = %q", m)
	}
	if !strings.Contains(sink.String(), "panic: boom") {
		t.Error("the output was not passed on")
	}
}
