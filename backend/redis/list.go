package redis

import (
	"context"
	"errors"
	"strings"
	"sync"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hitbox-go/hitbox/backend"
)

// scanCount is the COUNT hint of each SCAN call, and so roughly the number
// of keys List and Purge fetch or delete per round trip.
const scanCount = 500

// scanner is a node SCAN can walk: a server of its own, or the client
// itself when it routes SCAN to the one server it has.
type scanner interface {
	Scan(ctx context.Context, cursor uint64, match string, count int64) *goredis.ScanCmd
}

// scanners returns the nodes whose keys together are all the keys: every
// master of a cluster, every shard of a ring, else the client itself.
func (b *Backend) scanners(ctx context.Context) ([]scanner, error) {
	var (
		mu    sync.Mutex
		nodes []scanner
	)
	collect := func(_ context.Context, c *goredis.Client) error {
		mu.Lock()
		nodes = append(nodes, c)
		mu.Unlock()
		return nil
	}
	var err error
	switch c := b.client.(type) {
	case *goredis.ClusterClient:
		err = b.call(ctx, "scan", func(ctx context.Context) error { return c.ForEachMaster(ctx, collect) })
	case *goredis.Ring:
		err = b.call(ctx, "scan", func(ctx context.Context) error { return c.ForEachShard(ctx, collect) })
	default:
		nodes = []scanner{b.client}
	}
	return nodes, err
}

// globEscaper escapes the characters SCAN MATCH patterns give a meaning.
var globEscaper = strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`, `]`, `\]`)

// scan calls fn with each batch of the Redis keys (full keys, with the
// Backend's prefix) that start with prefix, node by node, until fn returns
// false or an error. Each round trip is one call through the breaker under
// OpTimeout; a key may come in more than one batch (SCAN's guarantee).
func (b *Backend) scan(ctx context.Context, op, prefix string, fn func(keys []string) (bool, error)) error {
	nodes, err := b.scanners(ctx)
	if err != nil {
		return err
	}
	match := globEscaper.Replace(b.prefix+prefix) + "*"
	for _, n := range nodes {
		var cursor uint64
		for {
			var keys []string
			err := b.call(ctx, op, func(ctx context.Context) error {
				var err error
				keys, cursor, err = n.Scan(ctx, cursor, match, scanCount).Result()
				return err
			})
			if err != nil {
				return err
			}
			if len(keys) > 0 {
				more, err := fn(keys)
				if err != nil || !more {
					return err
				}
			}
			if cursor == 0 {
				break
			}
		}
	}
	return nil
}

// List calls fn for each entry whose key starts with prefix, as
// [backend.Lister] says: it walks the keys with SCAN (on every master of a
// cluster) and reads each batch in one pipelined round trip. Keys whose
// bytes do not decode (counted in Stats.DecodeErrors) and entries past
// their deadline at Now are skipped; Size is the stored size, after
// encoding and compression. fn is called outside any round trip and may
// call the Backend. Errors are as for [Backend.Get], and a key is reported
// at most once (List remembers the keys it reported).
func (b *Backend) List(ctx context.Context, prefix string, fn func(backend.KeyInfo) bool) error {
	ctx, err := b.open(ctx, "list")
	if err != nil {
		return err
	}
	seen := make(map[string]struct{})
	return b.scan(ctx, "list", prefix, func(keys []string) (bool, error) {
		var cmds []goredis.Cmder
		err := b.call(ctx, "list", func(ctx context.Context) error {
			var err error
			cmds, err = b.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
				for _, k := range keys {
					p.Get(ctx, k)
				}
				return nil
			})
			if err != nil && (errors.Is(err, goredis.Nil) || !unavailable(err)) {
				// Keys that expired since the SCAN, or that hold
				// another type: skipped below.
				err = nil
			}
			return err
		})
		if err != nil {
			return false, err
		}
		now := b.now()
		for i, cmd := range cmds {
			raw, err := cmd.(*goredis.StringCmd).Bytes()
			if err != nil {
				continue
			}
			key := strings.TrimPrefix(keys[i], b.prefix)
			if _, dup := seen[key]; dup {
				continue
			}
			e, err := b.codec.Decode(raw)
			if err != nil {
				b.ops.DecodeErrors.Add(1)
				continue
			}
			if e.Gone(now) {
				continue
			}
			seen[key] = struct{}{}
			info := backend.KeyInfo{Key: key, Written: e.Written, Stale: e.Stale, Expire: e.Expire, Keep: e.Keep, Tags: e.Tags, Size: len(raw)}
			if !fn(info) {
				return false, nil
			}
		}
		return true, nil
	})
}

// Purge deletes every key that starts with prefix (all the Backend's keys
// when prefix is empty) and returns how many Redis deleted: it walks the
// keys with SCAN (on every master of a cluster) and deletes each batch with
// UNLINK in one pipelined round trip. Keys under the prefix that are not
// entries (foreign bytes) are deleted and counted too. With
// [Options.Channel] set, Purge then announces the prefix, even after a
// failure (some keys may be gone); a failed announcement is counted in
// Stats.Errors but does not fail the Purge. Errors are as for
// [Backend.Set].
func (b *Backend) Purge(ctx context.Context, prefix string) (int, error) {
	ctx, err := b.open(ctx, "purge")
	if err != nil {
		return 0, err
	}
	total := 0
	err = b.scan(ctx, "purge", prefix, func(keys []string) (bool, error) {
		var cmds []goredis.Cmder
		err := b.call(ctx, "purge", func(ctx context.Context) error {
			var err error
			cmds, err = b.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
				for _, k := range keys {
					p.Unlink(ctx, k)
				}
				return nil
			})
			return err
		})
		for _, cmd := range cmds {
			total += int(cmd.(*goredis.IntCmd).Val())
		}
		return err == nil, err
	})
	b.ops.Deletes.Add(uint64(total))
	if b.channel != "" {
		// A failed announcement is counted (by call) but does not fail
		// the purge, as for Set.
		msg := b.message(opPurge, prefix)
		_ = b.call(ctx, "purge", func(ctx context.Context) error {
			return b.client.Publish(ctx, b.channel, msg).Err()
		})
	}
	return total, err
}
