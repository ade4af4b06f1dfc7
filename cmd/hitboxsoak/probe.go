package main

// What hitboxd shows of itself: its resident memory (/proc) and a few
// series of its /metrics.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
)

// readRSS returns the resident set size, in bytes, of process pid.
func readRSS(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("rss: %w", err)
	}
	return parseRSS(data)
}

// parseRSS reads the VmRSS line of a /proc/<pid>/status file.
func parseRSS(status []byte) (int64, error) {
	for line := range bytes.Lines(status) {
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := strings.Fields(string(rest))
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("rss: bad line %q", line)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("rss: bad line %q: %w", line, err)
		}
		return kb << 10, nil
	}
	return 0, errors.New("rss: no VmRSS line")
}

// daemonMetrics are the series of hitboxd's /metrics the reports show.
type daemonMetrics struct {
	Goroutines    float64 // go_goroutines
	UpstreamOK    float64 // hitbox_upstream_requests_total{outcome="ok"}, summed over endpoints
	UpstreamError float64 // hitbox_upstream_requests_total{outcome="error"}
	OffloadDrops  float64 // hitbox_offload_dropped_total, summed
}

// scrapeMetrics reads url (hitboxd's /metrics).
func scrapeMetrics(ctx context.Context, c *http.Client, url string) (daemonMetrics, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return daemonMetrics{}, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return daemonMetrics{}, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return daemonMetrics{}, fmt.Errorf("metrics: %s", resp.Status)
	}
	return parseMetrics(resp.Body)
}

// parseMetrics reads the series daemonMetrics holds from Prometheus's text
// format; series it does not know are skipped.
func parseMetrics(r io.Reader) (daemonMetrics, error) {
	var m daemonMetrics
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		series := line[:i]
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			return m, fmt.Errorf("metrics: bad line %q: %w", line, err)
		}
		name, labels, _ := strings.Cut(series, "{")
		switch name {
		case "go_goroutines":
			m.Goroutines = v
		case "hitbox_upstream_requests_total":
			if strings.Contains(labels, `outcome="error"`) {
				m.UpstreamError += v
			} else {
				m.UpstreamOK += v
			}
		case "hitbox_offload_dropped_total":
			m.OffloadDrops += v
		}
	}
	if err := sc.Err(); err != nil {
		return m, fmt.Errorf("metrics: %w", err)
	}
	return m, nil
}
