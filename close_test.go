package hitbox_test

import (
	"context"
	"testing"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/composition"
	"github.com/hitbox-go/hitbox/offload"
)

// closer is the one shutdown shape of stores, compositions, runners and
// caches.
type closer interface {
	Close(ctx context.Context) error
}

// TestCloseIdempotent checks that every closable part of the library
// closes with Close(ctx) and that a second call returns nil.
func TestCloseIdempotent(t *testing.T) {
	t.Parallel()
	m := newMemory(t)
	comp, err := composition.New(newMemory(t), newMemory(t), composition.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := offload.New(offload.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := hitbox.New(newMemory(t))
	if err != nil {
		t.Fatal(err)
	}
	for name, cl := range map[string]closer{"memory": m, "composition": comp, "offload": r, "cache": c} {
		for i := range 2 {
			if err := cl.Close(context.Background()); err != nil {
				t.Errorf("%s: Close #%d = %v, want nil", name, i+1, err)
			}
		}
	}
}
