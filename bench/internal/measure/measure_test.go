package measure

import (
	"context"
	"testing"
	"time"
)

func TestParallel(t *testing.T) {
	tests := []struct {
		name    string
		op      func(g int, i uint64) bool
		wantErr bool
	}{
		{"counts", func(int, uint64) bool { return true }, false},
		{"failing op", func(_ int, i uint64) bool { return i < 100 }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp, err := Parallel(context.Background(), 2, 20*time.Millisecond, tt.op)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error: %v", err, tt.wantErr)
			}
			if !tt.wantErr && (tp.Ops == 0 || tp.OpsPerSec <= 0) {
				t.Errorf("throughput = %+v", tp)
			}
		})
	}
}

func TestSequentialPercentiles(t *testing.T) {
	lat, err := Sequential(context.Background(), time.Minute, 1000, func(int) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	if lat.Ops != 1000 || lat.P50 > lat.P99 {
		t.Errorf("latencies = %+v", lat)
	}
	if _, err := Sequential(context.Background(), time.Second, 10, func(i int) bool { return i < 5 }); err == nil {
		t.Error("Sequential with a failing op = nil error")
	}
}

func TestPercentile(t *testing.T) {
	s := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	if got := Percentile(s, 0.5); got != 5 {
		t.Errorf("p50 = %v, want 5", got)
	}
	if got := Percentile(nil, 0.5); got != 0 {
		t.Errorf("p50 of nothing = %v", got)
	}
}
