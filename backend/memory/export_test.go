package memory

import (
	"math"

	"github.com/hitbox-go/hitbox/backend"
)

// WriteRaw stores raw under key as the encoded bytes of an entry that never
// expires, bypassing Set and the Codec, so that tests can plant foreign or
// corrupted bytes. It is meaningful only for a Backend with a Codec.
func (b *Backend) WriteRaw(key string, raw []byte) {
	b.cache.Set(key, &item{entry: backend.Entry{Value: raw}, deadline: math.MaxInt64})
}

// ReadRaw returns the encoded bytes stored under key (its Value when the
// Backend has no Codec), or nil when there are none.
func (b *Backend) ReadRaw(key string) []byte {
	it, ok := b.cache.GetIfPresent(key)
	if !ok {
		return nil
	}
	return it.entry.Value
}
