package main

import (
	"os"
	"strings"
	"testing"
)

func TestParseRSS(t *testing.T) {
	t.Parallel()
	status := "Name:\thitboxd\nVmPeak:\t  900000 kB\nVmRSS:\t   23456 kB\nThreads:\t9\n"
	if got, err := parseRSS([]byte(status)); err != nil || got != 23456<<10 {
		t.Errorf("parseRSS = %d, %v; want %d", got, err, 23456<<10)
	}
	for _, bad := range []string{"Name:\tx\n", "VmRSS:\t12 MB\n", "VmRSS:\tmany kB\n"} {
		if _, err := parseRSS([]byte(bad)); err == nil {
			t.Errorf("parseRSS(%q) did not fail", bad)
		}
	}
}

// TestReadRSSSelf reads this test's own RSS, the way the soak reads
// hitboxd's.
func TestReadRSSSelf(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc")
	}
	if rss, err := readRSS(os.Getpid()); err != nil || rss <= 0 {
		t.Errorf("readRSS(self) = %d, %v; want a positive size", rss, err)
	}
}

func TestParseMetrics(t *testing.T) {
	t.Parallel()
	text := `# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 42
go_threads 9
hitbox_upstream_requests_total{endpoint="hot",outcome="ok"} 10
hitbox_upstream_requests_total{endpoint="cold",outcome="ok"} 5
hitbox_upstream_requests_total{endpoint="fail",outcome="error"} 3
hitbox_offload_dropped_total{task="revalidate"} 2
hitbox_offload_dropped_total{task="refill"} 1
`
	m, err := parseMetrics(strings.NewReader(text))
	want := daemonMetrics{Goroutines: 42, UpstreamOK: 15, UpstreamError: 3, OffloadDrops: 3}
	if err != nil || m != want {
		t.Errorf("parseMetrics = %+v, %v; want %+v", m, err, want)
	}
	if _, err := parseMetrics(strings.NewReader("go_goroutines lots\n")); err == nil {
		t.Error("parseMetrics of a bad value did not fail")
	}
}
