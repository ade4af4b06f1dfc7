package backend

import (
	"context"
	"errors"
	"fmt"
)

// PurgePrefix deletes every entry of b whose key starts with prefix (every
// entry when prefix is empty) and returns how many it deleted: with b's
// [Purger] when it has one that does not answer [ErrUnsupported], else by
// listing the keys with its [Lister] and deleting them one by one (an entry
// written during the walk may stay). A backend that can neither purge nor
// list gives an error wrapping ErrUnsupported. A failed Delete stops the
// walk: the count so far comes back with its error.
func PurgePrefix(ctx context.Context, b Backend, prefix string) (int, error) {
	if p, ok := b.(Purger); ok {
		n, err := p.Purge(ctx, prefix)
		if !errors.Is(err, ErrUnsupported) {
			return n, err
		}
	}
	l, ok := b.(Lister)
	if !ok {
		return 0, fmt.Errorf("%T can neither purge nor list: %w", b, ErrUnsupported)
	}
	var keys []string
	if err := l.List(ctx, prefix, func(k KeyInfo) bool {
		keys = append(keys, k.Key)
		return true
	}); err != nil {
		return 0, err
	}
	n := 0
	for _, k := range keys {
		deleted, err := b.Delete(ctx, k)
		if err != nil {
			return n, err
		}
		if deleted {
			n++
		}
	}
	return n, nil
}
