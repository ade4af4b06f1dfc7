package store

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend"
)

func TestStats(t *testing.T) {
	var c Counters
	c.Hits.Add(1)
	c.Misses.Add(2)
	c.Sets.Add(3)
	c.Deletes.Add(4)
	c.Evictions.Add(5)
	c.DecodeErrors.Add(6)
	c.Errors.Add(7)
	got := c.Stats("l", 8, -1)
	want := backend.Stats{Label: "l", Hits: 1, Misses: 2, Sets: 3, Deletes: 4,
		Evictions: 5, DecodeErrors: 6, Errors: 7, Entries: 8, Bytes: -1}
	if got.Label != want.Label || got.Hits != want.Hits || got.Misses != want.Misses ||
		got.Sets != want.Sets || got.Deletes != want.Deletes || got.Evictions != want.Evictions ||
		got.DecodeErrors != want.DecodeErrors || got.Errors != want.Errors ||
		got.Entries != want.Entries || got.Bytes != want.Bytes {
		t.Fatalf("Stats = %+v, want %+v", got, want)
	}
}

func TestBeginOpen(t *testing.T) {
	fail := func(_ context.Context, op string, err error) error { return fmt.Errorf("%s: %w", op, err) }
	var closed atomic.Bool
	ctx, err := Begin(nil, "k", &closed, "get", fail) //nolint:staticcheck
	if ctx == nil || err != nil {
		t.Fatalf("Begin(nil ctx) = %v, %v; want a context and no error", ctx, err)
	}
	if _, err := Begin(context.Background(), "", &closed, "get", fail); !errors.Is(err, backend.ErrInvalidKey) || err.Error() != "get: "+backend.ErrInvalidKey.Error() {
		t.Fatalf("Begin(empty key) = %v, want get: ErrInvalidKey", err)
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Begin(canceled, "k", &closed, "get", fail); !errors.Is(err, context.Canceled) {
		t.Fatalf("Begin(canceled) = %v, want context.Canceled", err)
	}
	if _, err := Open(canceled, &closed, "list", fail); err != nil {
		t.Fatalf("Open(canceled) = %v, want nil (Open does not check ctx)", err)
	}
	closed.Store(true)
	if _, err := Begin(context.Background(), "", &closed, "get", fail); !errors.Is(err, backend.ErrInvalidKey) {
		t.Fatalf("Begin(empty key, closed) = %v, want ErrInvalidKey first", err)
	}
	if _, err := Begin(canceled, "k", &closed, "get", fail); !errors.Is(err, backend.ErrClosed) {
		t.Fatalf("Begin(closed) = %v, want ErrClosed before ctx's error", err)
	}
	if _, err := Open(nil, &closed, "list", fail); !errors.Is(err, backend.ErrClosed) { //nolint:staticcheck
		t.Fatalf("Open(closed) = %v, want ErrClosed", err)
	}
}

func TestDuration(t *testing.T) {
	for _, c := range []struct{ d, want time.Duration }{{0, time.Second}, {-1, 0}, {time.Minute, time.Minute}} {
		if got := Duration(c.d, time.Second); got != c.want {
			t.Errorf("Duration(%v, 1s) = %v, want %v", c.d, got, c.want)
		}
	}
}

func TestPruneSchedule(t *testing.T) {
	var p PruneSchedule
	if p.Due(DefaultPruneAt-1) || !p.Due(DefaultPruneAt) || p.Next() != DefaultPruneAt {
		t.Fatalf("a new schedule: Next %d, want %d", p.Next(), DefaultPruneAt)
	}
	p.Pruned(3000)
	if p.Next() != 6000 || p.Due(5999) || !p.Due(6000) {
		t.Errorf("after a prune leaving 3000: Next %d, want 6000", p.Next())
	}
	p.Pruned(10)
	if p.Next() != DefaultPruneAt {
		t.Errorf("after a prune leaving 10: Next %d, want %d", p.Next(), DefaultPruneAt)
	}
	low := PruneSchedule{Min: 4}
	if !low.Due(4) || low.Due(3) {
		t.Errorf("Min 4: Next %d, want 4", low.Next())
	}
	low.Pruned(1)
	if low.Next() != 4 {
		t.Errorf("Min 4 after a prune leaving 1: Next %d, want 4", low.Next())
	}
}
