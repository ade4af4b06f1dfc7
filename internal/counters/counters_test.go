package counters

import (
	"testing"

	"github.com/hitbox-go/hitbox/backend"
)

func TestStats(t *testing.T) {
	var c Counters
	c.Hits.Add(1)
	c.Misses.Add(2)
	c.Sets.Add(3)
	c.Deletes.Add(4)
	c.Evictions.Add(5)
	c.DecodeErrors.Add(6)
	c.Errors.Add(7)
	got := c.Stats("l", 8, -1)
	want := backend.Stats{Label: "l", Hits: 1, Misses: 2, Sets: 3, Deletes: 4,
		Evictions: 5, DecodeErrors: 6, Errors: 7, Entries: 8, Bytes: -1}
	if got.Label != want.Label || got.Hits != want.Hits || got.Misses != want.Misses ||
		got.Sets != want.Sets || got.Deletes != want.Deletes || got.Evictions != want.Evictions ||
		got.DecodeErrors != want.DecodeErrors || got.Errors != want.Errors ||
		got.Entries != want.Entries || got.Bytes != want.Bytes {
		t.Fatalf("Stats = %+v, want %+v", got, want)
	}
}
