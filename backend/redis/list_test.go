package redis

import (
	"testing"

	"github.com/hitbox-go/hitbox/backend"
)

// TestListSkipsOtherTypes checks that a key of another type under the
// prefix is skipped by List and deleted by Purge.
func TestListSkipsOtherTypes(t *testing.T) {
	t.Parallel()
	a, _ := lockPair(t)
	if err := a.Set(t.Context(), "entry", entry("v")); err != nil {
		t.Fatal(err)
	}
	if err := a.Client().RPush(t.Context(), a.prefix+"list", "x").Err(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	if err := a.List(t.Context(), "", func(k backend.KeyInfo) bool { keys = append(keys, k.Key); return true }); err != nil {
		t.Fatalf("List = %v", err)
	}
	if len(keys) != 1 || keys[0] != "entry" {
		t.Fatalf("List = %q, want [entry]", keys)
	}
	if n, err := a.Purge(t.Context(), ""); err != nil || n != 2 {
		t.Fatalf("Purge = %d, %v; want 2, nil", n, err)
	}
}
