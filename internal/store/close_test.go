package store

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hitbox-go/hitbox/internal/lifecycle"
)

func TestMarkClosed(t *testing.T) {
	var (
		mu     sync.Mutex
		closed atomic.Bool
		g      lifecycle.Group
		taken  int
	)
	take := func() {
		if mu.TryLock() {
			t.Error("take ran without mu held")
			mu.Unlock()
		}
		taken++
	}
	if !MarkClosed(&mu, &closed, &g, take) {
		t.Fatal("first MarkClosed = false, want true")
	}
	if !closed.Load() || !g.Closed() || taken != 1 {
		t.Fatalf("after MarkClosed: closed %v, group closed %v, take ran %d times; want true, true, 1", closed.Load(), g.Closed(), taken)
	}
	if MarkClosed(&mu, &closed, &g, take) {
		t.Error("second MarkClosed = true, want false")
	}
	if taken != 1 {
		t.Errorf("take ran %d times after a second MarkClosed, want 1", taken)
	}
	if !mu.TryLock() {
		t.Fatal("mu still held after MarkClosed")
	}
	mu.Unlock()
	var mu2 sync.Mutex
	var closed2 atomic.Bool
	var g2 lifecycle.Group
	if !MarkClosed(&mu2, &closed2, &g2, nil) || !closed2.Load() {
		t.Error("MarkClosed with a nil take did not close")
	}
}
