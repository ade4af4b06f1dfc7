package composition_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/backendtest"
	"github.com/hitbox-go/hitbox/composition"
)

var errTagsDown = errors.New("tags down")

// tagged is L1 over L2, memory stores behind faults.
type tagged struct {
	c      *composition.Composition
	m1, m2 backend.Tagger
	f1, f2 *backendtest.Fault
}

func newTagged(t *testing.T, o composition.Options) *tagged {
	t.Helper()
	var tg tagged
	m1, m2 := newMemory(t, nil), newMemory(t, nil)
	tg.m1, tg.m2 = m1, m2
	tg.f1, tg.f2 = backendtest.NewFault(m1), backendtest.NewFault(m2)
	tg.c = mustNew(t, tg.f1, tg.f2, o)
	return &tg
}

func marks(t *testing.T, tg backend.Tagger, tags ...string) time.Time {
	t.Helper()
	at, err := tg.TagsInvalidated(t.Context(), tags)
	if err != nil {
		t.Fatalf("TagsInvalidated(%q) = %v", tags, err)
	}
	return at
}

func TestInvalidateTagsEveryLayer(t *testing.T) {
	t.Parallel()
	tg := newTagged(t, composition.Options{})
	ctx := t.Context()
	at := time.Unix(1700000000, 5)
	if err := tg.c.InvalidateTags(ctx, []string{"a", "b"}, at); err != nil {
		t.Fatalf("InvalidateTags = %v", err)
	}
	for i, m := range []backend.Tagger{tg.m1, tg.m2} {
		if got := marks(t, m, "b"); !got.Equal(at) {
			t.Errorf("layer %d mark = %v, want %v", i+1, got, at)
		}
	}
	// A failing L2: L1 is still marked, the error names l2.
	tg.f2.FailSet(errTagsDown)
	later := at.Add(time.Second)
	err := tg.c.InvalidateTags(ctx, []string{"a"}, later)
	var ce *composition.Error
	if !errors.As(err, &ce) || len(ce.Labels) != 1 || ce.Labels[0] != "l2" || !errors.Is(err, errTagsDown) {
		t.Fatalf("InvalidateTags with L2 down = %v, want an *Error naming l2", err)
	}
	if got := marks(t, tg.m1, "a"); !got.Equal(later) {
		t.Errorf("L1 mark with L2 down = %v, want %v", got, later)
	}
}

// TestTagsInvalidatedLabeled checks whose marks decide: an L1 hit reads L1's
// marks only (L2's tag reads fail, unseen), an L2 hit reads both, an
// unknown source and TagCheckEvery read every layer.
func TestTagsInvalidatedLabeled(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	t1, t2 := time.Unix(1700000000, 0), time.Unix(1700000100, 0)
	setup := func(o composition.Options) *tagged {
		tg := newTagged(t, o)
		// L1 knows t1, L2 a later t2 (another instance's purge L1
		// never heard of).
		if err := tg.m1.InvalidateTags(ctx, []string{"x"}, t1); err != nil {
			t.Fatal(err)
		}
		if err := tg.m2.InvalidateTags(ctx, []string{"x"}, t2); err != nil {
			t.Fatal(err)
		}
		return tg
	}
	tg := setup(composition.Options{})
	for _, tt := range []struct {
		label string
		want  time.Time
	}{{"l1", t1}, {"l2", t2}, {"", t2}, {"bogus", t2}} {
		got, err := tg.c.TagsInvalidatedLabeled(ctx, []string{"x"}, tt.label)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("TagsInvalidatedLabeled(%q) = %v, %v; want %v", tt.label, got, err, tt.want)
		}
	}
	if got := marks(t, tg.c, "x", "y"); !got.Equal(t2) {
		t.Errorf("TagsInvalidated = %v, want the latest, %v", got, t2)
	}
	// L2 cannot answer: an L1 hit does not ask it; an L2 hit does, and
	// fails.
	tg.f2.FailGet(errTagsDown)
	if got, err := tg.c.TagsInvalidatedLabeled(ctx, []string{"x"}, "l1"); err != nil || !got.Equal(t1) {
		t.Errorf("L1 hit with L2 down: %v, %v; want %v from L1 alone", got, err, t1)
	}
	if _, err := tg.c.TagsInvalidatedLabeled(ctx, []string{"x"}, "l2"); !errors.Is(err, errTagsDown) {
		t.Errorf("L2 hit with L2 down: %v, want its error", err)
	}

	// A wrapper keeps the cheaper check: a Fault around the composition
	// forwards the label.
	wrapped := backendtest.NewFault(tg.c)
	if got, err := wrapped.TagsInvalidatedLabeled(ctx, []string{"x"}, "l1"); err != nil || !got.Equal(t1) {
		t.Errorf("through a Fault, L1 hit with L2 down: %v, %v; want %v from L1 alone", got, err, t1)
	}

	every := setup(composition.Options{TagCheck: composition.TagCheckEvery})
	if got, err := every.c.TagsInvalidatedLabeled(ctx, []string{"x"}, "l1"); err != nil || !got.Equal(t2) {
		t.Errorf("TagCheckEvery, L1 hit: %v, %v; want every layer's latest, %v", got, err, t2)
	}
}

func TestTagsNested(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	l1, l2, l3 := newMemory(t, nil), newMemory(t, nil), newMemory(t, nil)
	inner := mustNew(t, l2, l3, composition.Options{})
	outer := mustNew(t, l1, inner, composition.Options{})
	at := time.Unix(1700000000, 0)
	if err := outer.InvalidateTags(ctx, []string{"x"}, at); err != nil {
		t.Fatal(err)
	}
	for i, l := range []backend.Tagger{l1, l2, l3} {
		if got := marks(t, l, "x"); !got.Equal(at) {
			t.Errorf("layer %d mark = %v, want %v", i+1, got, at)
		}
	}
	// L3 alone knows a later mark: only a hit from l2.l2 sees it.
	later := at.Add(time.Minute)
	if err := l3.InvalidateTags(ctx, []string{"x"}, later); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		label string
		want  time.Time
	}{{"l1", at}, {"l2.l1", at}, {"l2.l2", later}} {
		got, err := outer.TagsInvalidatedLabeled(ctx, []string{"x"}, tt.label)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("TagsInvalidatedLabeled(%q) = %v, %v; want %v", tt.label, got, err, tt.want)
		}
	}
}

func TestTagsUnsupported(t *testing.T) {
	t.Parallel()
	c := mustNew(t, newStore("a", nil), backendtest.NewFault(newStore("b", nil)), composition.Options{})
	if err := c.InvalidateTags(t.Context(), []string{"x"}, time.Now()); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("InvalidateTags without a Tagger layer = %v, want ErrUnsupported", err)
	}
	if at := marks(t, c, "x"); !at.IsZero() {
		t.Errorf("TagsInvalidated without a Tagger layer = %v, want zero", at)
	}
}
