package composition_test

import (
	"context"
	"fmt"
	"time"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/memory"
	"github.com/hitbox-go/hitbox/composition"
)

// A small, fast L1 over a larger L2 (two memory stores here; Redis would be
// the usual L2), with L2 hits copied into L1.
func Example() {
	ctx := context.Background()
	l1, _ := memory.New(memory.Options{MaxBytes: 1 << 20})
	defer l1.Close(context.Background())
	l2, _ := memory.New(memory.Options{MaxBytes: 64 << 20})
	defer l2.Close(context.Background())
	c, err := composition.New(l1, l2, composition.Options{Refill: composition.RefillAlways})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close(ctx)

	// Another instance wrote the entry to the shared L2 only.
	now := time.Now()
	_ = l2.Set(ctx, "books/42", backend.Entry{Value: []byte("Dune"), Written: now, Expire: now.Add(time.Minute)})

	for range 2 {
		e, ok, label, err := c.GetLabeled(ctx, "books/42")
		fmt.Printf("%s %v from %s, err: %v\n", e.Value, ok, label, err)
	}
	// Output:
	// Dune true from l2, err: <nil>
	// Dune true from l1, err: <nil>
}
