package hitbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend"
)

type user struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

func TestTyped(t *testing.T) {
	t.Parallel()
	c, m := newCache(t)
	users, err := hitbox.NewTyped(c, hitbox.TypedOptions[user]{Policy: hitbox.Enabled(time.Minute, 0), Namespace: "users"})
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	load := func(context.Context) (user, error) { calls++; return user{ID: 7, Name: "Ann"}, nil }
	for i, wantStatus := range []hitbox.Status{hitbox.Miss, hitbox.Hit} {
		u, res, err := users.GetOrFetch(t.Context(), "7", load)
		if err != nil || u != (user{7, "Ann"}) || res.Status != wantStatus {
			t.Errorf("call %d: %+v %v %v, want %v", i, u, res.Status, err, wantStatus)
		}
	}
	if calls != 1 {
		t.Errorf("loader calls = %d, want 1", calls)
	}
	if got := users.Key("7"); got != "users:v0:id=7" {
		t.Errorf("Key = %q", got)
	}
	// Bytes the codec cannot read are a miss, and replaced (once the
	// in-process copy is dropped, as another instance's write would).
	if err := m.Set(t.Context(), users.Key("7"), backend.Entry{Value: []byte("{not json"), Written: time.Now()}); err != nil {
		t.Fatal(err)
	}
	users.Invalidate([]string{users.Key("7")})
	u, res, err := users.GetOrFetch(t.Context(), "7", load)
	if err != nil || u.Name != "Ann" || res.Status != hitbox.Miss || calls != 2 {
		t.Errorf("after corruption: %+v %v %v calls=%d", u, res.Status, err, calls)
	}
}

// TestTypedValuesShared checks that the in-process layer hands out the
// stored value itself by default, a clone with Local.Clone, and a decoded
// copy of its own to every caller with the layer off.
func TestTypedValuesShared(t *testing.T) {
	t.Parallel()
	c, _ := newCache(t)
	type box struct{ N int }
	clone := func(b *box) *box { c := *b; return &c }
	for _, tt := range []struct {
		name  string
		local hitbox.Local[*box]
		same  bool
	}{{"default", hitbox.Local[*box]{}, true}, {"Clone", hitbox.Local[*box]{Clone: clone}, false}, {"Off", hitbox.Local[*box]{Off: true}, false}} {
		typed, err := hitbox.NewTyped(c, hitbox.TypedOptions[*box]{Namespace: tt.name, Local: tt.local})
		if err != nil {
			t.Fatal(err)
		}
		load := func(context.Context) (*box, error) { return &box{N: 1}, nil }
		first, _, err := typed.GetOrFetch(t.Context(), "1", load)
		if err != nil {
			t.Fatal(err)
		}
		second, res, err := typed.GetOrFetch(t.Context(), "1", load)
		if err != nil || res.Status != hitbox.Hit || second.N != 1 {
			t.Fatalf("%s: hit: %+v %v %v", tt.name, second, res.Status, err)
		}
		if (first == second) != tt.same {
			t.Errorf("%s: the hit returned the fetched pointer: %v, want %v", tt.name, first == second, tt.same)
		}
	}
}
