package hitbox

import (
	"cmp"
	"math"
	"time"
	"weak"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/internal/store"
)

// layerMarks are the tag purges a Typed's in-process layer heard of
// ([Cache.InvalidateTags] on its Cache, [Typed.InvalidateTags]): a tagged
// value known current at or before the latest mark of its tags is not
// answered from the layer. The flow, which checks the backend's marks,
// answers it instead. The marks are pruned past the longest time a tagged
// value of the layer stays fresh after it was known current: the layer
// answers no value known current before that.
type layerMarks struct {
	store.AgedMarks
	clock Clock
}

// current reports whether a value with tags, known current at since (Unix
// nanoseconds), is newer than every mark of its tags. It takes no lock and
// does not allocate.
func (m *layerMarks) current(tags []string, since int64) bool {
	return m.Latest(tags) < since
}

// saw records the lifetime of a tagged value known current at since and
// fresh until until (zero: never stale), and reports whether it is
// current.
func (m *layerMarks) saw(tags []string, since int64, until time.Time) bool {
	life := int64(math.MaxInt64)
	if u := backend.MarkNano(until); !until.IsZero() && u != math.MaxInt64 && since != math.MinInt64 && u-since >= 0 {
		life = u - since
	}
	m.SawLife(life)
	return m.current(tags, since)
}

// mark raises the marks of tags (the empty tag is ignored) to at, and
// prunes the marks no value the layer may answer is affected by, when
// there are enough of them to be worth a walk.
func (m *layerMarks) mark(tags []string, at time.Time) {
	nano := backend.MarkNano(at)
	for _, t := range tags {
		if t != "" {
			m.Mark(t, nano)
		}
	}
	m.PruneDue(backend.MarkNano(m.clock.Now()))
}

// addLayer returns the marks of a new in-process layer of a Typed with
// policy p, which [Cache.InvalidateTags] raises. The Cache holds them
// weakly: a Typed that is no longer reachable is collected with its layer,
// and its marks are dropped from the list when it is next walked.
func (c *Cache) addLayer(p Policy) *layerMarks {
	m := &layerMarks{clock: c.cfg.clock}
	// The longest freshness of an entry the policy makes; saw raises it
	// for others (another instance's, say).
	life := int64(math.MaxInt64)
	if d := cmp.Or(p.TTL, p.Stale); d > 0 {
		life = int64(d + max(p.Jitter, 0))
	}
	m.SawLife(life)
	c.layersMu.Lock()
	defer c.layersMu.Unlock()
	c.layers = append(c.liveLayers(), weak.Make(m))
	return m
}

// markLayers raises the marks of tags to at in every live layer made on c.
func (c *Cache) markLayers(tags []string, at time.Time) {
	c.layersMu.Lock()
	defer c.layersMu.Unlock()
	c.layers = c.liveLayers()
	for _, w := range c.layers {
		if m := w.Value(); m != nil {
			m.mark(tags, at)
		}
	}
}

// liveLayers drops from c.layers, in place, the layers that were
// collected, and returns the rest; c.layersMu must be held.
func (c *Cache) liveLayers() []weak.Pointer[layerMarks] {
	live := c.layers[:0]
	for _, w := range c.layers {
		if w.Value() != nil {
			live = append(live, w)
		}
	}
	clear(c.layers[len(live):])
	return live
}
