package backend_test

import (
	"context"
	"errors"
	"testing"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/memory"
)

// listOnly hides its store's Purge: PurgePrefix must list and delete.
type listOnly struct {
	backend.Backend
	backend.Lister
}

// getOnly can neither purge nor list.
type getOnly struct{ backend.Backend }

func TestPurgePrefix(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fill := func(t *testing.T) *memory.Backend {
		m, err := memory.New(memory.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = m.Close(ctx) })
		for _, k := range []string{"a:1", "a:2", "b:1"} {
			if err := m.Set(ctx, k, backend.Entry{Value: []byte("v")}); err != nil {
				t.Fatal(err)
			}
		}
		return m
	}
	for name, wrap := range map[string]func(*memory.Backend) backend.Backend{
		"purger": func(m *memory.Backend) backend.Backend { return m },
		"lister": func(m *memory.Backend) backend.Backend { return listOnly{m, m} },
	} {
		m := fill(t)
		n, err := backend.PurgePrefix(ctx, wrap(m), "a:")
		if err != nil || n != 2 {
			t.Errorf("%s: PurgePrefix(a:) = %d, %v; want 2, nil", name, n, err)
		}
		if _, ok, _ := m.Get(ctx, "b:1"); !ok {
			t.Errorf("%s: b:1 was purged with prefix a:", name)
		}
		if _, ok, _ := m.Get(ctx, "a:1"); ok {
			t.Errorf("%s: a:1 survived the purge", name)
		}
	}
	if _, err := backend.PurgePrefix(ctx, getOnly{fill(t)}, ""); !errors.Is(err, backend.ErrUnsupported) {
		t.Errorf("PurgePrefix on a store that can neither purge nor list = %v, want ErrUnsupported", err)
	}
}
