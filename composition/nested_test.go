package composition_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/backendtest"
	"github.com/hitbox-go/hitbox/composition"
)

// three is L1 over a composition of L2 over L3, all fault-wrapped stores.
type three struct {
	outer, inner *composition.Composition
	s            [3]*store
	f            [3]*backendtest.Fault
}

func newThree(t *testing.T, outer, inner composition.Options) *three {
	t.Helper()
	var th three
	for i, name := range []string{"m1", "m2", "m3"} {
		th.s[i] = newStore(name, nil)
		th.f[i] = backendtest.NewFault(th.s[i])
	}
	th.inner = mustNew(t, th.f[1], th.f[2], inner)
	th.outer = mustNew(t, th.f[0], th.inner, outer)
	return &th
}

func TestNestedLabels(t *testing.T) {
	th := newThree(t, composition.Options{}, composition.Options{Label: "ignored"})
	if got := th.outer.Label(); got != "" {
		t.Errorf("outer Label() = %q, want empty", got)
	}
	if got := th.inner.Label(); got != "l2" {
		t.Errorf("inner Label() = %q, want l2 (New relabels it)", got)
	}
	if l1, l2 := th.inner.LayerLabels(); l1 != "l2.l1" || l2 != "l2.l2" {
		t.Errorf("inner LayerLabels() = %q, %q; want l2.l1, l2.l2", l1, l2)
	}

	// A tree built bottom up relabels all the way down.
	a := mustNew(t, newStore("a", nil), newStore("b", nil), composition.Options{})
	mid := mustNew(t, newStore("c", nil), a, composition.Options{})
	top := mustNew(t, newStore("d", nil), mid, composition.Options{Label: "cache"})
	if l1, l2 := a.LayerLabels(); l1 != "cache.l2.l2.l1" || l2 != "cache.l2.l2.l2" {
		t.Errorf("deepest LayerLabels() = %q, %q; want cache.l2.l2.l1, cache.l2.l2.l2", l1, l2)
	}
	if got := backend.Label(top); got != "cache" {
		t.Errorf("backend.Label(top) = %q, want cache", got)
	}
	st := top.Stats()
	if len(st.Layers) != 2 || st.Layers[1].Label != "cache.l2" || len(st.Layers[1].Layers) != 2 || st.Layers[1].Layers[1].Label != "cache.l2.l2" {
		t.Errorf("Stats() layer labels = %+v, want cache.l1, cache.l2 with cache.l2.l1, cache.l2.l2 inside", st.Layers)
	}
}

func TestNestedGetLabeledAndRefill(t *testing.T) {
	always := composition.Options{Refill: composition.RefillAlways}
	th := newThree(t, always, always)
	th.s[2].put("k", entry("v", time.Now()))
	for i, want := range []string{"l2.l2", "l1"} {
		e, ok, label, err := th.outer.GetLabeled(t.Context(), "k")
		if err != nil || !ok || label != want || string(e.Value) != "v" {
			t.Errorf("GetLabeled #%d = %q, %v, %q, %v; want a hit from %s", i+1, e.Value, ok, label, err, want)
		}
	}
	if !th.s[0].has("k") || !th.s[1].has("k") {
		t.Errorf("after an L3 hit: L1 holds it = %v, L2 = %v; want both refilled", th.s[0].has("k"), th.s[1].has("k"))
	}
	// Deleting from the inner L1 leaves an L2 hit from the inner L1 next
	// time the outer L1 misses.
	th.s[0].Purge(t.Context(), "")
	if _, _, label, _ := th.outer.GetLabeled(t.Context(), "k"); label != "l2.l1" {
		t.Errorf("GetLabeled after purging L1 answered from %q, want l2.l1", label)
	}
}

func TestNestedErrors(t *testing.T) {
	tests := []struct {
		name   string
		fail   []int // which stores fail their Get
		labels []string
	}{
		{"inner layers fail", []int{1, 2}, []string{"l2.l1", "l2.l2"}},
		{"all fail", []int{0, 1, 2}, []string{"l1", "l2.l1", "l2.l2"}},
		{"outer l1 and inner l2 fail", []int{0, 2}, []string{"l1", "l2.l2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th := newThree(t, composition.Options{}, composition.Options{})
			var causes []error
			for _, i := range tt.fail {
				err := errorFor(i)
				causes = append(causes, err)
				th.f[i].FailGet(err)
			}
			_, _, err := th.outer.Get(t.Context(), "k")
			wantLayersErr(t, "Get", err, tt.labels, causes...)
		})
	}
}

var (
	errM1 = errors.New("m1 is down")
	errM2 = errors.New("m2 is down")
	errM3 = errors.New("m3 is down")
)

func errorFor(i int) error { return []error{errM1, errM2, errM3}[i] }

func TestNestedWriteFailures(t *testing.T) {
	th := newThree(t, composition.Options{}, composition.Options{})
	for i, err := range []error{errM1, errM2, errM3} {
		th.f[i].FailSet(err)
	}
	err := th.outer.Set(t.Context(), "k", entry("v", time.Now()))
	wantLayersErr(t, "Set", err, []string{"l1", "l2.l1", "l2.l2"}, errM1, errM2, errM3)
	if want := "composition: set: l1: m1 is down; l2.l1: m2 is down; l2.l2: m3 is down"; err.Error() != want {
		t.Errorf("Set error = %q, want %q", err, want)
	}
}
