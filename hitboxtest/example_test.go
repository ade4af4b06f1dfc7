package hitboxtest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend/memory"
	"github.com/hitbox-go/hitbox/hitboxtest"
)

// A driven clock moves an entry from fresh to stale to expired without
// sleeping; the counting upstream shows when the flow asked it.
func Example() {
	clock := hitboxtest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	mem, _ := memory.New(memory.Options{Now: clock.Now})
	defer mem.Close(context.Background())
	cache, _ := hitbox.New(mem, hitbox.WithClock(clock))
	defer cache.Close(context.Background())

	up := hitboxtest.NewUpstream(nil)
	req := hitbox.Request{Key: "k", Policy: hitbox.Enabled(10*time.Second, 5*time.Second)}
	for _, step := range []time.Duration{0, 0, 6 * time.Second, 5 * time.Second} {
		clock.Advance(step)
		res, _ := cache.Do(context.Background(), req, up.Fetch)
		fmt.Println(res.Status, up.Calls())
	}
	// Output:
	// MISS 1
	// HIT 1
	// STALE 1
	// MISS 2
}
