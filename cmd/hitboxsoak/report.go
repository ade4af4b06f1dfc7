package main

// The reports: one line every interval, and a summary at the end.

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// progress is what an interval's line says.
type progress struct {
	Elapsed, Window time.Duration
	Delta, Total    tally  // the interval's counts and the run's so far
	Upstream        uint64 // the origin's calls so far
	RSS, RSSPeak    int64
	Goroutines      float64
	Redis           string
}

func (p progress) String() string {
	exp, unexp := p.Total.errors()
	return fmt.Sprintf("[%5s] req %d (%.0f/s) hit %.1f%% | errors: unexpected %d, expected %d, corrupt %d | upstream %d | rss %s (peak %s) | goroutines %.0f | redis %s",
		p.Elapsed.Truncate(time.Second), p.Total.Requests, perSecond(p.Delta.Requests, p.Window),
		100*p.Delta.hitRatio(), unexp, exp, p.Total.Unexpected[errCorrupt],
		p.Upstream, mib(p.RSS), mib(p.RSSPeak), p.Goroutines, p.Redis)
}

// perSecond is n over d, 0 for an empty d.
func perSecond(n uint64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// mib writes n bytes in MiB with one decimal.
func mib(n int64) string { return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20)) }

// summary is what the end of the run says.
type summary struct {
	Duration          time.Duration
	Kinds             snapshot
	Calls             [numKinds]uint64 // the origin's, by kind
	RSSStart, RSSPeak int64
	RSSEnd            int64
	GorStart, GorPeak float64
	GorEnd            float64
	Metrics           daemonMetrics // the last scrape
	Chaos             []string      // the actions done to Redis, in order
	Alarms            int           // panic, fatal error and data race lines in hitboxd's output
	LogLines          int           // lines of hitboxd's output
	LogWarns          int           // of which level=WARN
	LogErrors         int           // of which level=ERROR
	DaemonExit        error         // how hitboxd stopped; nil for exit status 0
}

// write writes the summary as a few lines and a table by kind.
func (s summary) write(w io.Writer) {
	t := s.Kinds.total()
	exp, unexp := t.errors()
	var calls uint64
	for _, c := range s.Calls {
		calls += c
	}
	fmt.Fprintf(w, "\n== hitboxsoak: %s\n", s.Duration.Truncate(time.Second))
	fmt.Fprintf(w, "requests     %d (%.0f/s), %s of bodies read\n", t.Requests, perSecond(t.Requests, s.Duration), mib(int64(t.Bytes)))
	fmt.Fprintf(w, "cache        hit ratio %.1f%% (HIT %d, STALE %d, MISS %d, no response or status %d)\n",
		100*t.hitRatio(), t.Status[csHit], t.Status[csStale], t.Status[csMiss], t.Status[csNone])
	fmt.Fprintf(w, "errors       unexpected %d%s; expected %d%s\n", unexp, classList(t.Unexpected), exp, classList(t.Expected))
	fmt.Fprintf(w, "corrupt      %d bodies under a 200\n", t.Unexpected[errCorrupt])
	fmt.Fprintf(w, "upstream     %d calls at the origin; hitboxd counted %.0f ok, %.0f failed; offload drops %.0f\n",
		calls, s.Metrics.UpstreamOK, s.Metrics.UpstreamError, s.Metrics.OffloadDrops)
	fmt.Fprintf(w, "hitboxd rss  start %s, peak %s, end %s (growth %s, once settled after the load)\n", mib(s.RSSStart), mib(s.RSSPeak), mib(s.RSSEnd), mib(s.RSSEnd-s.RSSStart))
	fmt.Fprintf(w, "goroutines   start %.0f, peak %.0f, end %.0f (once settled after the load)\n", s.GorStart, s.GorPeak, s.GorEnd)
	fmt.Fprintf(w, "redis        %d actions: %s\n", len(s.Chaos), strings.Join(s.Chaos, ", "))
	exit := "exit status 0"
	if s.DaemonExit != nil {
		exit = s.DaemonExit.Error()
	}
	fmt.Fprintf(w, "hitboxd      %s; %d panic/fatal/race lines; log %d lines (WARN %d, ERROR %d)\n\n",
		exit, s.Alarms, s.LogLines, s.LogWarns, s.LogErrors)

	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\trequests\thit%\tHIT\tSTALE\tMISS\tupstream\texpected\tunexpected\tcorrupt\t")
	for k := range numKinds {
		kt := s.Kinds[k]
		e, u := kt.errors()
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", k, kt.Requests, 100*kt.hitRatio(),
			kt.Status[csHit], kt.Status[csStale], kt.Status[csMiss], s.Calls[k], e, u, kt.Unexpected[errCorrupt])
	}
	_ = tw.Flush()
}

// classList writes the non-zero counts by class: " (502: 3, transport: 1)",
// or "" when all are zero.
func classList(c [numClasses]uint64) string {
	var parts []string
	for cl := errNone + 1; cl < numClasses; cl++ {
		if c[cl] > 0 {
			parts = append(parts, fmt.Sprintf("%s: %d", cl, c[cl]))
		}
	}
	if parts == nil {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}
