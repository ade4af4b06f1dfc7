package hitbox

import (
	"strconv"
	"testing"
	"time"
)

// TestRetryGateBounded checks that the per-key retry state stays bounded
// however many keys fail, dropping ended intervals first.
func TestRetryGateBounded(t *testing.T) {
	t.Parallel()
	var g retryGate
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// Full: one key whose interval lasts, the others' end in a second.
	g.wait("long", now.Add(time.Hour), now)
	for i := range maxRetryKeys - 1 {
		g.wait(strconv.Itoa(i), now.Add(time.Second), now)
	}
	// Once they ended, one more key drops them and keeps "long".
	later := now.Add(2 * time.Second)
	g.wait("new", later.Add(time.Second), later)
	if n := g.size(); n != 2 {
		t.Errorf("after the ended intervals were dropped the gate holds %d keys, want 2", n)
	}
	if !g.holds("long", later, time.Second) {
		t.Error("the key with a lasting interval was dropped while ended ones were there")
	}
	// Keys whose intervals all last: still bounded.
	for i := range 3 * maxRetryKeys {
		g.wait("x"+strconv.Itoa(i), later.Add(time.Hour), later)
		if n := g.size(); n > maxRetryKeys {
			t.Fatalf("after %d more keys the gate holds %d, want at most %d", i+1, n, maxRetryKeys)
		}
	}
	last := "x" + strconv.Itoa(3*maxRetryKeys-1)
	if !g.holds(last, later, time.Second) {
		t.Error("the last key's interval is not held")
	}
	g.clear(last)
	if g.holds(last, later, time.Second) {
		t.Error("holds after clear")
	}
}
