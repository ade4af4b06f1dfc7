package disk

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"

	bolt "go.etcd.io/bbolt"
)

// The file's layout: five buckets.
//
//	meta     "format" → the format version (one byte), "entries" and
//	         "bytes" → the live totals (8 bytes each, big endian),
//	         "tagsfloor" → the floor pruned tag marks left (8, sortable)
//	entries  key → record
//	expiry   sortable deadline (8) ‖ key → empty (entries with a deadline)
//	order    write sequence (8) → key (least recently written first)
//	tags     tag → its invalidation mark, Unix nanoseconds (8, sortable);
//	         added to files made before it when they are opened
//
// A record is the entry's deadline (8, sortable) and write sequence (8),
// then the entry as the Codec encodes it, behind its checksummed header.
// The indexes are rewritten in the same transaction as the entry, so they
// agree with it in every committed state; a reader that finds them apart
// (a damaged file) trusts the entry and drops the index entry.
var (
	metaBucket    = []byte("meta")
	entriesBucket = []byte("entries")
	expiryBucket  = []byte("expiry")
	orderBucket   = []byte("order")
	tagsBucket    = []byte("tags")

	formatKey    = []byte("format")
	tagsFloorKey = []byte("tagsfloor")
	countKey     = []byte("entries")
	bytesKey     = []byte("bytes")
)

// formatVersion is the layout above. A file with another version is refused
// with ErrFormat.
const formatVersion = 1

// recordHeader is the size of a record's deadline and sequence.
const recordHeader = 16

// noDeadline is the deadline of an entry that never expires (see
// [backend.Entry.DeadlineNano]).
const noDeadline = math.MaxInt64

// sortable maps a signed deadline to an unsigned one with the same order,
// so that big-endian bytes sort as the deadlines do.
func sortable(d int64) uint64   { return uint64(d) ^ 1<<63 }
func unsortable(u uint64) int64 { return int64(u ^ 1<<63) }

// record is a parsed record header.
type record struct {
	deadline int64
	seq      uint64
}

func parseRecord(v []byte) (record, bool) {
	if len(v) < recordHeader {
		return record{}, false
	}
	return record{
		deadline: unsortable(binary.BigEndian.Uint64(v)),
		seq:      binary.BigEndian.Uint64(v[8:]),
	}, true
}

// weight is what an entry counts against the budget.
func weight(keyLen, recordLen int) int64 {
	return 3*int64(keyLen) + int64(recordLen) + EntryOverhead
}

func u64(n uint64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, 8), n) }

// expiryKey is key's entry in the expiry index.
func expiryKey(deadline int64, key []byte) []byte {
	k := make([]byte, 8, 8+len(key))
	binary.BigEndian.PutUint64(k, sortable(deadline))
	return append(k, key...)
}

// writer applies changes inside one write transaction and keeps the live
// totals up to date.
type writer struct {
	entries, expiry, order, meta *bolt.Bucket
	tags                         *bolt.Bucket
	now                          int64 // Unix nanoseconds, read once per transaction
	count, bytes                 int64 // live totals
	evictions                    uint64
}

func newWriter(tx *bolt.Tx, now int64) (*writer, error) {
	w := &writer{
		entries: tx.Bucket(entriesBucket),
		expiry:  tx.Bucket(expiryBucket),
		order:   tx.Bucket(orderBucket),
		meta:    tx.Bucket(metaBucket),
		tags:    tx.Bucket(tagsBucket),
		now:     now,
	}
	if w.entries == nil || w.expiry == nil || w.order == nil || w.meta == nil {
		return nil, fmt.Errorf("a bucket is missing: %w", ErrCorrupt)
	}
	w.count, w.bytes = readTotals(w.meta)
	return w, nil
}

func readTotals(meta *bolt.Bucket) (count, bytes int64) {
	read := func(k []byte) int64 {
		if v := meta.Get(k); len(v) == 8 {
			return int64(binary.BigEndian.Uint64(v))
		}
		return 0
	}
	return read(countKey), read(bytesKey)
}

// flush stores the live totals.
func (w *writer) flush() error {
	if err := w.meta.Put(countKey, u64(uint64(w.count))); err != nil {
		return err
	}
	return w.meta.Put(bytesKey, u64(uint64(w.bytes)))
}

// put stores rec (whose header holds the deadline; put writes the sequence)
// under key, replacing any entry there.
func (w *writer) put(key, rec []byte) error {
	if _, _, err := w.remove(key); err != nil {
		return err
	}
	seq, err := w.order.NextSequence()
	if err != nil {
		return err
	}
	binary.BigEndian.PutUint64(rec[8:recordHeader], seq)
	if err := w.entries.Put(key, rec); err != nil {
		return err
	}
	if err := w.order.Put(u64(seq), key); err != nil {
		return err
	}
	if d := unsortable(binary.BigEndian.Uint64(rec)); d != noDeadline {
		if err := w.expiry.Put(expiryKey(d, key), nil); err != nil {
			return err
		}
	}
	w.count++
	w.bytes += weight(len(key), len(rec))
	return nil
}

// remove deletes the entry under key with its index entries, and returns
// its header; found is false when there was none.
func (w *writer) remove(key []byte) (r record, found bool, err error) {
	v := w.entries.Get(key)
	if v == nil {
		return record{}, false, nil
	}
	r, ok := parseRecord(v)
	size := len(v)
	if err := w.entries.Delete(key); err != nil {
		return record{}, false, err
	}
	w.count--
	w.bytes -= weight(len(key), size)
	if !ok {
		// A record too short for its header: nothing to unindex
		// that can be found; the sweeps drop what points at it.
		return record{deadline: math.MinInt64}, true, nil
	}
	if err := w.order.Delete(u64(r.seq)); err != nil {
		return record{}, false, err
	}
	if r.deadline != noDeadline {
		if err := w.expiry.Delete(expiryKey(r.deadline, key)); err != nil {
			return record{}, false, err
		}
	}
	return r, true, nil
}

// sweep deletes up to limit entries whose deadline has passed, earliest
// first, and reports how many it deleted and whether more may remain.
func (w *writer) sweep(limit int) (n int, more bool, err error) {
	for n < limit {
		k, _ := w.expiry.Cursor().First()
		if len(k) < 8 || unsortable(binary.BigEndian.Uint64(k)) > w.now {
			if len(k) > 0 && len(k) < 8 {
				// Not an index entry: drop it.
				if err := w.expiry.Delete(bytes.Clone(k)); err != nil {
					return n, false, err
				}
				continue
			}
			return n, false, nil
		}
		k = bytes.Clone(k)
		key := k[8:]
		// Only the entry this index entry stands for goes: one under
		// the key with another deadline (a damaged index) stays.
		if v := w.entries.Get(key); v != nil {
			if r, ok := parseRecord(v); !ok || r.deadline == unsortable(binary.BigEndian.Uint64(k)) {
				if _, _, err := w.remove(key); err != nil {
					return n, false, err
				}
				n++
			}
		}
		if err := w.expiry.Delete(k); err != nil {
			return n, false, err
		}
	}
	return n, true, nil
}

// evict brings the live bytes within max: entries past their deadline
// first, then the least recently written ones.
func (w *writer) evict(max int64) error {
	for w.bytes > max {
		n, more, err := w.sweep(64)
		if err != nil {
			return err
		}
		if n == 0 && !more {
			break
		}
	}
	for w.bytes > max {
		k, v := w.order.Cursor().First()
		if k == nil {
			// Nothing left to evict: the totals are off (a damaged
			// file); start them again from zero.
			w.count, w.bytes = 0, 0
			return nil
		}
		k, key := bytes.Clone(k), bytes.Clone(v)
		if len(k) == 8 {
			if v := w.entries.Get(key); v != nil {
				if r, ok := parseRecord(v); !ok || r.seq == binary.BigEndian.Uint64(k) {
					r, _, err := w.remove(key)
					if err != nil {
						return err
					}
					if r.deadline > w.now {
						w.evictions++
					}
				}
			}
		}
		if err := w.order.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
