package disk

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/hitbox-go/hitbox/backend"
)

// listChunk is how many entries List reads per read transaction, and
// purgeChunk and sweepChunk how many entries Purge and Sweep delete per
// write transaction: short transactions keep the file's lock free for the
// other calls.
const (
	listChunk  = 256
	purgeChunk = 1024
	sweepChunk = 1024
)

// List calls fn for each entry whose key starts with prefix and whose
// deadline has not passed, in key order, as [backend.Lister] says; Size is
// the stored record's length. It reads the file in short read
// transactions and calls fn outside them, so fn may call the Backend.
// Records that do not decode are skipped (and counted as decode errors).
// List stops with ctx's error when ctx ends (nil ctx: never).
func (b *Backend) List(ctx context.Context, prefix string, fn func(backend.KeyInfo) bool) error {
	if b.closed.Load() {
		return b.fail("list", backend.ErrClosed)
	}
	p := []byte(prefix)
	var after []byte // the last key listed
	for {
		if err := ctxErr(ctx); err != nil {
			return b.fail("list", err)
		}
		infos, err := b.listChunk(p, after)
		if err != nil {
			return b.fail("list", err)
		}
		for _, info := range infos {
			if !fn(info) {
				return nil
			}
		}
		if len(infos) < listChunk {
			return nil
		}
		after = []byte(infos[len(infos)-1].Key)
	}
}

// listChunk reads up to listChunk live entries with prefix p whose key comes
// after the key after (from the first one when after is nil).
func (b *Backend) listChunk(p, after []byte) (infos []backend.KeyInfo, err error) {
	tx, err := b.db.Begin(false)
	if err != nil {
		return nil, err
	}
	defer recoverCorrupt(&err)
	defer func() { _ = tx.Rollback() }()
	entries := tx.Bucket(entriesBucket)
	if entries == nil {
		return nil, fmt.Errorf("no entries bucket: %w", ErrCorrupt)
	}
	now := b.nowNano()
	c := entries.Cursor()
	k, v := c.Seek(p)
	if after != nil {
		k, v = c.Seek(after)
		if bytes.Equal(k, after) {
			k, v = c.Next()
		}
	}
	for ; k != nil && bytes.HasPrefix(k, p) && len(infos) < listChunk; k, v = c.Next() {
		r, ok := parseRecord(v)
		if ok && r.deadline <= now {
			continue
		}
		var e backend.Entry
		if ok {
			e, err = b.codec.Decode(v[recordHeader:])
		}
		if !ok || err != nil {
			b.ops.DecodeErrors.Add(1)
			continue
		}
		infos = append(infos, backend.KeyInfo{
			Key:     string(k),
			Written: e.Written,
			Stale:   e.Stale,
			Expire:  e.Expire,
			Keep:    e.Keep,
			Tags:    e.Tags,
			Size:    len(v),
		})
	}
	return infos, nil
}

// Purge deletes every entry whose key starts with prefix (all entries when
// prefix is empty) and returns how many of them were live (not past their
// deadline). It deletes in transactions of up to 1024 entries and stops
// with ctx's error between two of them when ctx ends (nil ctx: never),
// having deleted some.
func (b *Backend) Purge(ctx context.Context, prefix string) (int, error) {
	if b.closed.Load() {
		return 0, b.fail("purge", backend.ErrClosed)
	}
	p := []byte(prefix)
	total := 0
	for {
		if err := ctxErr(ctx); err != nil {
			b.ops.Deletes.Add(uint64(total))
			return total, b.fail("purge", err)
		}
		var deleted, seen int
		err := b.write(func(w *writer) error {
			deleted, seen = 0, 0
			var keys [][]byte
			c := w.entries.Cursor()
			for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p) && len(keys) < purgeChunk; k, _ = c.Next() {
				keys = append(keys, bytes.Clone(k))
			}
			seen = len(keys)
			for _, k := range keys {
				r, _, err := w.remove(k)
				if err != nil {
					return err
				}
				if r.deadline > w.now {
					deleted++
				}
			}
			return nil
		})
		if err != nil {
			b.ops.Deletes.Add(uint64(total))
			return total, b.fail("purge", err)
		}
		total += deleted
		if seen < purgeChunk {
			b.ops.Deletes.Add(uint64(total))
			return total, nil
		}
	}
}

// Sweep deletes the entries whose deadline has passed (on Options.Now) and
// returns how many it deleted. The background sweep calls it every
// Options.SweepInterval; call it yourself when that is off. It deletes in
// transactions of up to 1024 entries and stops with ctx's error between two
// of them when ctx ends (nil ctx: never).
func (b *Backend) Sweep(ctx context.Context) (int, error) {
	if b.closed.Load() {
		return 0, b.fail("sweep", backend.ErrClosed)
	}
	total := 0
	for {
		var (
			n    int
			more bool
		)
		err := b.write(func(w *writer) (err error) {
			n, more, err = w.sweep(sweepChunk)
			return err
		})
		if err != nil {
			return total, b.fail("sweep", err)
		}
		total += n
		if !more {
			return total, nil
		}
		if err := ctxErr(ctx); err != nil {
			return total, b.fail("sweep", err)
		}
	}
}

// sweepEvery sweeps at once, then every interval, until ctx ends.
func (b *Backend) sweepEvery(ctx context.Context, interval time.Duration) {
	defer b.sweeping.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		// A failed sweep is counted in Stats.Errors; the next tick
		// tries again.
		_, _ = b.Sweep(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
