package config

import (
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/httpcache"
)

// TestBuildLimitsAndTimeouts checks that what the golden files show
// reaches the built endpoints: an endpoint's upstream_timeout (or the
// file's) and its stale_if_error.
func TestBuildLimitsAndTimeouts(t *testing.T) {
	t.Parallel()
	f, _, err := Parse("hitboxd.yaml", []byte(`upstream: http://127.0.0.1:3000
upstream_timeout: 300ms
endpoints:
  - name: own
    request: [{Path: /own}]
    upstream_timeout: 2m
    policy: {Enabled: {ttl: 2s, keep: 5m, stale_if_error: 5m}}
  - name: inherited
    request: [{Path: /inherited}]
`))
	if err != nil {
		t.Fatal(err)
	}
	eps, err := f.BuildEndpoints()
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []struct {
		timeout, staleIfError time.Duration
	}{{2 * time.Minute, 5 * time.Minute}, {300 * time.Millisecond, 0}} {
		if got := eps[i].UpstreamTimeout; got != want.timeout {
			t.Errorf("endpoint %d: UpstreamTimeout = %v, want %v", i, got, want.timeout)
		}
		if got := eps[i].Policy.StaleIfError; got != want.staleIfError {
			t.Errorf("endpoint %d: Policy.StaleIfError = %v, want %v", i, got, want.staleIfError)
		}
	}
	if f.MaxBody != httpcache.DefaultMaxBody || f.MaxInflightBytes != httpcache.DefaultInflightBudget || f.Timeouts != defaultTimeouts() {
		t.Errorf("defaults: max_body %d, max_inflight_bytes %d, timeouts %+v", f.MaxBody, f.MaxInflightBytes, f.Timeouts)
	}
}
