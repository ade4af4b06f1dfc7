package memory_test

import (
	"context"
	"fmt"
	"time"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/backendtest"
	"github.com/hitbox-go/hitbox/backend/memory"
)

func Example() {
	b, err := memory.New(memory.Options{MaxBytes: 64 << 20})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close(context.Background())

	ctx := context.Background()
	now := time.Now()
	err = b.Set(ctx, "GET /books/1", backend.Entry{
		Value:   []byte(`{"title":"Dune"}`),
		Written: now,
		Stale:   now.Add(time.Minute),
		Expire:  now.Add(5 * time.Minute),
		Keep:    time.Minute,
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	e, ok, _ := b.Get(ctx, "GET /books/1")
	fmt.Println(ok, string(e.Value), e.State(now))
	_, ok, _ = b.Get(ctx, "GET /books/2")
	fmt.Println(ok)

	s := b.Stats()
	fmt.Println(s.Label, s.Hits, s.Misses, s.Entries)
	// Output:
	// true {"title":"Dune"} fresh
	// false
	// memory 1 1 1
}

// A driven clock shows the life of an entry: stale, then expired but kept,
// then gone. The store here keeps entries encoded and compressed.
func Example_expiry() {
	start := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := backendtest.NewClock(start)
	b, err := memory.New(memory.Options{
		Codec: &backend.Codec{Format: backend.FormatMsgPack, Compression: backend.CompressionZstd},
		Now:   clock.Now,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close(context.Background())

	ctx := context.Background()
	_ = b.Set(ctx, "k", backend.Entry{
		Value:  []byte("v"),
		Stale:  start.Add(time.Minute),
		Expire: start.Add(2 * time.Minute),
		Keep:   time.Minute,
	})
	for _, d := range []time.Duration{0, time.Minute, 2 * time.Minute, 3 * time.Minute} {
		now := start.Add(d)
		clock.Set(now)
		e, ok, _ := b.Get(ctx, "k")
		if !ok {
			fmt.Printf("+%v: gone\n", d)
			continue
		}
		fmt.Printf("+%v: %s\n", d, e.State(now))
	}
	// Output:
	// +0s: fresh
	// +1m0s: stale
	// +2m0s: expired
	// +3m0s: gone
}
