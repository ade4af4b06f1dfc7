package backendtest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend"
)

// testTagsRoundTrip checks that an entry's tags come back from Get as they
// were set (odd bytes and a long list included), that an untagged entry
// comes back untagged, and that List, where it reports tags, reports them
// right.
func (s *suite) testTagsRoundTrip(t *testing.T) {
	e := s.open(t)
	tagged := e.entry("tagged")
	tagged.Tags = []string{"user=42", "product=7", "ключ=значение", "a\x00b", strings.Repeat("t", 300)}
	many := e.entry("many")
	for i := range 100 {
		many.Tags = append(many.Tags, "tag"+strings.Repeat("x", i))
	}
	plain := e.entry("plain")
	e.set("t/tagged", tagged)
	e.set("t/many", many)
	e.set("t/plain", plain)
	e.mustGet("t/tagged", tagged)
	e.mustGet("t/many", many)
	got, ok := e.get("t/plain")
	if !ok || len(got.Tags) != 0 {
		t.Fatalf(`Get("t/plain") = %s, ok %v, tags %q; want a hit without tags`, describe(got), ok, got.Tags)
	}
	// An overwrite without tags drops the old ones.
	e.set("t/tagged", plain)
	if got, _ := e.get("t/tagged"); len(got.Tags) != 0 {
		t.Fatalf(`Get("t/tagged") after an untagged overwrite: tags %q, want none`, got.Tags)
	}
	e.set("t/tagged", tagged)

	l, ok := e.b.(backend.Lister)
	if !ok {
		return
	}
	want := map[string][]string{"t/tagged": tagged.Tags, "t/many": many.Tags, "t/plain": nil}
	seen := 0
	err := l.List(e.ctx, "t/", func(k backend.KeyInfo) bool {
		w, ok := want[k.Key]
		if !ok {
			t.Errorf("List listed %q, never set", k.Key)
			return true
		}
		seen++
		if k.Tags != nil && !slices.Equal(k.Tags, w) {
			t.Errorf("List: %q has tags %q, want %q (or nil)", k.Key, k.Tags, w)
		}
		return true
	})
	skipUnsupported(t, "List", err)
	if err != nil {
		t.Fatalf("List = %v", err)
	}
	if seen != len(want) {
		t.Errorf("List saw %d keys, want %d", seen, len(want))
	}
}

// testInvalidateTags checks the marks of [backend.Tagger]: none at first,
// the time given after an invalidation, the latest over several tags, never
// moving backwards, and entries left readable (the flow, not the store,
// decides they are invalid).
func (s *suite) testInvalidateTags(t *testing.T) {
	e := s.open(t)
	tg, ok := e.b.(backend.Tagger)
	if !ok {
		t.Skipf("%T does not implement backend.Tagger", e.b)
	}
	marks := func(tags ...string) time.Time {
		t.Helper()
		at, err := tg.TagsInvalidated(e.ctx, tags)
		if err != nil {
			t.Fatalf("TagsInvalidated(%q) = %v", tags, err)
		}
		return at
	}
	invalidate := func(at time.Time, tags ...string) {
		t.Helper()
		err := tg.InvalidateTags(e.ctx, tags, at)
		skipUnsupported(t, "InvalidateTags", err)
		if err != nil {
			t.Fatalf("InvalidateTags(%q, %v) = %v", tags, at, err)
		}
	}
	if at := marks("user=42", "never"); !at.IsZero() {
		t.Fatalf("TagsInvalidated before any invalidation = %v, want the zero time", at)
	}
	en := e.entry("v")
	en.Tags = []string{"user=42"}
	e.set("k", en)

	t1 := e.clock.Advance(time.Minute)
	invalidate(t1, "user=42", "product=7")
	for _, tags := range [][]string{{"user=42"}, {"product=7"}, {"other", "product=7"}, {"user=42", "product=7"}} {
		if at := marks(tags...); !at.Equal(t1) {
			t.Errorf("TagsInvalidated(%q) = %v, want %v", tags, at, t1)
		}
	}
	if at := marks("other"); !at.IsZero() {
		t.Errorf(`TagsInvalidated("other") = %v, want the zero time`, at)
	}
	if at := marks(); !at.IsZero() {
		t.Errorf("TagsInvalidated() = %v, want the zero time", at)
	}
	// The store keeps the entry: invalidation is passive.
	e.mustGet("k", en)

	// An earlier time never moves a mark back; a later one moves it on.
	invalidate(t1.Add(-time.Hour), "user=42")
	if at := marks("user=42"); !at.Equal(t1) {
		t.Errorf("TagsInvalidated after an earlier invalidation = %v, want %v kept", at, t1)
	}
	t2 := e.clock.Advance(time.Second + 7)
	invalidate(t2, "user=42")
	if at := marks("user=42"); !at.Equal(t2) {
		t.Errorf("TagsInvalidated after a later invalidation = %v, want %v", at, t2)
	}
	if at := marks("product=7", "user=42"); !at.Equal(t2) {
		t.Errorf("TagsInvalidated(product=7, user=42) = %v, want the latest, %v", at, t2)
	}
	if at := marks("product=7"); !at.Equal(t1) {
		t.Errorf("TagsInvalidated(product=7) = %v, want %v untouched", at, t1)
	}
}
