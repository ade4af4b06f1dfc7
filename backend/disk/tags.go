package disk

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hitbox-go/hitbox/backend"
)

// loadMarks copies the tags bucket into memory.
func (b *Backend) loadMarks(tx *bolt.Tx) error {
	tags := tx.Bucket(tagsBucket)
	if tags == nil {
		return fmt.Errorf("no tags bucket: %w", ErrCorrupt)
	}
	if v := tx.Bucket(metaBucket).Get(tagsFloorKey); len(v) == 8 {
		b.marks.RaiseFloor(unsortable(binary.BigEndian.Uint64(v)))
	}
	return tags.ForEach(func(k, v []byte) error {
		if len(v) != 8 {
			return nil // a damaged mark: dropped at the next prune
		}
		b.marks.Mark(string(k), unsortable(binary.BigEndian.Uint64(v)))
		return nil
	})
}

// InvalidateTags records at as the invalidation time of each of tags, as
// [backend.Tagger] says: in the file's tags bucket (committed, fsync'ed,
// with the group of writes it joins) and in the copy in memory that
// TagsInvalidated reads. A mark never moves back; marks survive a restart
// and are kept as [Options.TagRetention] says. ctx is not used, as for Set.
func (b *Backend) InvalidateTags(_ context.Context, tags []string, at time.Time) error {
	if b.closed.Load() {
		return b.fail("invalidate tags", backend.ErrClosed)
	}
	if err := backend.CheckInvalidTags(tags, maxKeySize); err != nil {
		return b.fail("invalidate tags", err)
	}
	if len(tags) == 0 {
		return nil
	}
	mark := backend.MarkNano(at)
	// The copy in memory first: readers honour the purge from now on,
	// even if the commit fails (until a restart).
	for _, t := range tags {
		b.marks.Mark(t, mark)
	}
	var prune int64
	if b.retention > 0 && b.prune.Due(int64(b.marks.Len())) {
		prune = b.nowNano() - b.retention
	}
	err := b.write(func(w *writer) error {
		bucket := w.tags
		if bucket == nil {
			return fmt.Errorf("no tags bucket: %w", ErrCorrupt)
		}
		v := binary.BigEndian.AppendUint64(nil, sortable(mark))
		for _, t := range tags {
			if old := bucket.Get([]byte(t)); len(old) == 8 && unsortable(binary.BigEndian.Uint64(old)) >= mark {
				continue
			}
			if err := bucket.Put([]byte(t), v); err != nil {
				return err
			}
		}
		if prune != 0 {
			if err := w.meta.Put(tagsFloorKey, u64(sortable(prune))); err != nil {
				return err
			}
			return pruneMarks(bucket, prune)
		}
		return nil
	})
	if err != nil {
		return b.fail("invalidate tags", err)
	}
	if prune != 0 {
		b.marks.Prune(prune)
		b.prune.Pruned(int64(b.marks.Len()))
	}
	return nil
}

// pruneMarks deletes the marks of the bucket before before.
func pruneMarks(bucket *bolt.Bucket, before int64) error {
	var old [][]byte
	err := bucket.ForEach(func(k, v []byte) error {
		if len(v) != 8 || unsortable(binary.BigEndian.Uint64(v)) < before {
			old = append(old, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range old {
		if err := bucket.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// TagsInvalidated returns the latest invalidation time recorded for any of
// tags, or the zero time, from the copy in memory: no transaction, no
// allocation. ctx is not used.
func (b *Backend) TagsInvalidated(_ context.Context, tags []string) (time.Time, error) {
	if b.closed.Load() {
		return time.Time{}, b.fail("tags invalidated", backend.ErrClosed)
	}
	return b.marks.LatestTime(tags), nil
}
