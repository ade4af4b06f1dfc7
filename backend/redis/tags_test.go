package redis

import (
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/internal/redistest"
)

// TestTagsAcrossInstances checks that one instance's tag invalidation is in
// Redis for every instance, reaches the other instances' L1 marks through
// the channel, and that a new instance's L1 starts from the marks Redis
// holds.
func TestTagsAcrossInstances(t *testing.T) {
	t.Parallel()
	s := redistest.Start(t)
	a, b := newInstance(t, s.URL()), newInstance(t, s.URL())
	ctx := t.Context()
	at := time.Now()
	if err := a.c.InvalidateTags(ctx, []string{"user=42", "p"}, at); err != nil {
		t.Fatalf("InvalidateTags: %v", err)
	}
	// In Redis, for b's L2.
	if got, err := b.l2.TagsInvalidated(ctx, []string{"user=42"}); err != nil || !got.Equal(at) {
		t.Fatalf("b's L2 mark = %v, %v; want %v", got, err, at)
	}
	// In a's L1 at once (the composition marks every layer), and in b's
	// through the channel.
	if got, _ := a.l1.TagsInvalidated(ctx, []string{"p"}); !got.Equal(at) {
		t.Fatalf("a's L1 mark = %v, want %v", got, at)
	}
	eventually(t, "b's L1 records a's marks", func() bool {
		got, _ := b.l1.TagsInvalidated(ctx, []string{"p", "user=42"})
		return got.Equal(at)
	})
	if n := b.inv.Stats().Tags; n == 0 {
		t.Errorf("b's invalidator counted %d tag messages, want 1 or more", n)
	}
	// An earlier invalidation moves no mark back, in Redis or in an L1.
	if err := a.l2.InvalidateTags(ctx, []string{"user=42"}, at.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.l2.TagsInvalidated(ctx, []string{"user=42"}); !got.Equal(at) {
		t.Fatalf("after an earlier invalidation the mark is %v, want %v", got, at)
	}
	// A new instance (a restart) finds the marks in Redis, and its L1
	// has them once it is subscribed.
	c := newInstance(t, s.URL())
	if got, _ := c.l1.TagsInvalidated(ctx, []string{"user=42"}); !got.Equal(at) {
		t.Fatalf("a new instance's L1 mark = %v, want %v loaded at subscription", got, at)
	}
}

// TestTagsMarksCompareAsDecimals checks that the script keeps the later of
// two marks a few nanoseconds apart (doubles could not tell them) and of
// marks of different lengths, and that times before 1970 count as 1970.
func TestTagsMarksCompareAsDecimals(t *testing.T) {
	t.Parallel()
	s := redistest.Start(t)
	b := newBackend(t, Options{URL: s.URL()})
	ctx := t.Context()
	base := time.Unix(1700000000, 123456789)
	steps := []struct {
		at, want time.Time
	}{
		{base, base},
		{base.Add(1), base.Add(1)},
		{base, base.Add(1)},
		{time.Unix(5, 0), base.Add(1)},
		{time.Unix(9000000000, 0), time.Unix(9000000000, 0)},
	}
	for _, st := range steps {
		if err := b.InvalidateTags(ctx, []string{"t"}, st.at); err != nil {
			t.Fatal(err)
		}
		if got, err := b.TagsInvalidated(ctx, []string{"t"}); err != nil || !got.Equal(st.want) {
			t.Fatalf("after marking %v: %v, %v; want %v", st.at, got, err, st.want)
		}
	}
	if err := b.InvalidateTags(ctx, []string{"old"}, time.Unix(-100, 0)); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.TagsInvalidated(ctx, []string{"old"}); !got.Equal(time.Unix(0, 0)) {
		t.Errorf("a mark before 1970 reads %v, want 1970", got)
	}
	// The marks live outside the entries: not listed, not purged.
	if err := b.Set(ctx, "k", backend.Entry{Value: []byte("v"), Tags: []string{"t"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Purge(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.TagsInvalidated(ctx, []string{"t"}); got.IsZero() {
		t.Error("Purge(\"\") removed the marks")
	}
	if _, err := New(Options{URL: s.URL(), Prefix: "x:", TagsKey: "x:tags"}); err == nil {
		t.Error("New with TagsKey under Prefix = nil error, want one")
	}
}
