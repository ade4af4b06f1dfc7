package hitboxd

import (
	"testing"
	"time"
)

const wrkOutput = `Running 1s test @ http://127.0.0.1:8080
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   812.35us  301.22us   8.01ms   90.11%
    Req/Sec    79.51k     2.10k   82.00k    80.00%
  Latency Distribution
     50%  764.00us
     75%  850.00us
     90%    1.01ms
     99%    2.10ms
  79123 requests in 1.00s, 90.12MB read
  Non-2xx or 3xx responses: 3
Requests/sec:  79012.34
Transfer/sec:     90.00MB
`

func TestParseWrk(t *testing.T) {
	r, err := parseWrk(wrkOutput)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"rate", r.ReqPerSec, 79012.34},
		{"requests", r.Requests, int64(79123)},
		{"p50", r.P50, 764 * time.Microsecond},
		{"p99", r.P99, 2100 * time.Microsecond},
		{"errors", r.Errors, "Non-2xx or 3xx responses: 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
	if _, err := parseWrk("garbage"); err == nil {
		t.Error("parseWrk(garbage) = nil error")
	}
}
