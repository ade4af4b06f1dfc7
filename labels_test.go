package hitbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/backendtest"
	"github.com/hitbox-go/hitbox/composition"
)

// TestWrapperKeepsLayerLabels checks that a wrapper around a composition
// (the fault injector) keeps the label of the layer that answered: the
// flow reads through backend.LabeledGetter, which the wrapper forwards.
func TestWrapperKeepsLayerLabels(t *testing.T) {
	t.Parallel()
	fetch := func(context.Context) (hitbox.Fetched, error) {
		return hitbox.Fetched{Value: []byte("upstream"), Store: true}, nil
	}
	req := hitbox.Request{Key: "k", Policy: hitbox.Enabled(time.Minute, 0)}
	for _, wrap := range []bool{false, true} {
		l1, l2 := newMemory(t), newMemory(t)
		comp, err := composition.New(l1, l2, composition.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = comp.Close(context.Background()) })
		if err := l2.Set(t.Context(), "k", backend.Entry{Value: []byte("v")}); err != nil {
			t.Fatal(err)
		}
		var b backend.Backend = comp
		if wrap {
			b = backendtest.NewFault(comp)
		}
		res, err := newCacheOnBackend(t, b).Do(t.Context(), req, fetch)
		if err != nil || res.Status != hitbox.Hit || res.Source != "l2" {
			t.Errorf("%T: Do = %v from %q, %v; want a HIT from l2", b, res.Status, res.Source, err)
		}
	}
	// A wrapped plain store keeps the store's own label.
	m := newMemory(t)
	if err := m.Set(t.Context(), "k", backend.Entry{Value: []byte("v")}); err != nil {
		t.Fatal(err)
	}
	res, err := newCacheOnBackend(t, backendtest.NewFault(m)).Do(t.Context(), req, fetch)
	if err != nil || res.Status != hitbox.Hit || res.Source != backend.Label(m) {
		t.Errorf("Fault(memory): %v from %q, %v; want a HIT from %q", res.Status, res.Source, err, backend.Label(m))
	}
}
