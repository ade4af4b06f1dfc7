package tarantool

import (
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/internal/tarantooltest"
)

// TestTagMarksSurviveRestart checks that the marks live on the server: a
// new Backend on the same space reads them, also after the server itself
// restarted (from its WAL), and an earlier mark never moves one back.
func TestTagMarksSurviveRestart(t *testing.T) {
	t.Parallel()
	s := tarantooltest.Start(t)
	ctx := t.Context()
	at := time.Unix(1700000000, 987654321)
	a := newBackend(t, s, Options{Space: "restart"})
	if err := a.InvalidateTags(ctx, []string{"user=42", "p"}, at); err != nil {
		t.Fatalf("InvalidateTags: %v", err)
	}
	if err := a.InvalidateTags(ctx, []string{"p"}, at.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	check := func(what string) {
		t.Helper()
		b := newBackend(t, s, Options{Space: "restart"})
		for _, tags := range [][]string{{"user=42"}, {"p"}, {"none", "p"}} {
			if got, err := b.TagsInvalidated(ctx, tags); err != nil || !got.Equal(at) {
				t.Fatalf("%s: TagsInvalidated(%q) = %v, %v; want %v", what, tags, got, err, at)
			}
		}
		if got, err := b.TagsInvalidated(ctx, []string{"none"}); err != nil || !got.IsZero() {
			t.Fatalf("%s: an unknown tag = %v, %v; want the zero time", what, got, err)
		}
	}
	check("a new Backend")
	s.Restart()
	check("after the server restarted")
}
