package composition

import (
	"context"

	"github.com/hitbox-go/hitbox/backend"
)

// refill writes e, which L2 answered, into L1, counting a failure.
func (c *Composition) refill(ctx context.Context, key string, e backend.Entry) {
	l := &c.layers[0]
	err := l.b.Set(ctx, key, e)
	if countErr(ctx, err) {
		l.stats.set(err)
	}
}
