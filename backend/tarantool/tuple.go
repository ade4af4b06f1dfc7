package tarantool

import (
	"fmt"
	"math"
	"time"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// The fields of a tuple of the space, and the indexes on them.
const (
	// primaryIndex is the unique TREE index on the key (field 1).
	primaryIndex uint32 = 0
	// deadlineIndex is the non-unique TREE index on the deadline
	// (field 2), which the sweep walks.
	deadlineIndex uint32 = 1
)

// never is the deadline field of an entry that never expires: the sweep
// never reaches it.
const never = math.MaxInt64

// farFuture is where deadlines stop mattering: an entry that expires later
// is treated as one that never does (an int64 of milliseconds holds 292
// million years).
var farFuture = time.UnixMilli(math.MaxInt64 / 4)

// deadlineField returns the deadline field of an entry whose deadline is d
// (zero: never), with margin added: Unix milliseconds, rounded up, 0 for a
// deadline before 1970 and [never] for none. The sweep drops a tuple once
// its clock's Unix milliseconds reach the field; reads check the exact
// deadline in the value.
func deadlineField(d time.Time, margin time.Duration) int64 {
	if d.IsZero() || !d.Before(farFuture) {
		return never
	}
	d = d.Add(margin)
	if d.Before(time.Unix(0, 0)) {
		return 0
	}
	ms := d.UnixMilli()
	if d.After(time.UnixMilli(ms)) {
		ms++
	}
	return ms
}

// tuple is what the Backend stores: {key, deadline, value}, with the value
// encoded by the Codec.
type tuple struct {
	key      string
	deadline int64
	value    []byte
}

// EncodeMsgpack writes the tuple as a three-field array: the key as a
// string, the deadline as an integer, the value as binary.
func (t *tuple) EncodeMsgpack(e *msgpack.Encoder) error {
	if err := e.EncodeArrayLen(3); err != nil {
		return err
	}
	if err := e.EncodeString(t.key); err != nil {
		return err
	}
	if err := e.EncodeInt(t.deadline); err != nil {
		return err
	}
	return e.EncodeBytes(t.value)
}

// keyArg is the key of a select or a delete: an array of the one string.
type keyArg struct{ key string }

// EncodeMsgpack writes [key].
func (k *keyArg) EncodeMsgpack(e *msgpack.Encoder) error {
	if err := e.EncodeArrayLen(1); err != nil {
		return err
	}
	return e.EncodeString(k.key)
}

// tuples decodes the data of a select or a delete reply: the array of
// tuples. A tuple whose key or value has another type (a tuple another
// program wrote) keeps ok false; its value is nil.
type tuples struct {
	list []stored
	// keysOnly skips the values: Delete only needs to know whether a
	// tuple was there.
	keysOnly bool
}

// stored is one tuple of a reply.
type stored struct {
	key   string
	value []byte
	ok    bool // the key is a string and the value binary (or a string)
}

// DecodeMsgpack reads the array of tuples.
func (ts *tuples) DecodeMsgpack(d *msgpack.Decoder) error {
	n, err := d.DecodeArrayLen()
	if err != nil {
		return err
	}
	ts.list = ts.list[:0]
	for range max(n, 0) {
		s, err := ts.decodeTuple(d)
		if err != nil {
			return err
		}
		ts.list = append(ts.list, s)
	}
	return nil
}

func (ts *tuples) decodeTuple(d *msgpack.Decoder) (stored, error) {
	var s stored
	fields, err := d.DecodeArrayLen()
	if err != nil {
		return s, fmt.Errorf("tuple: %w", err)
	}
	for i := range max(fields, 0) {
		switch {
		case i == 0:
			code, err := d.PeekCode()
			if err != nil {
				return s, err
			}
			if !msgpcode.IsString(code) && !msgpcode.IsBin(code) {
				if err := d.Skip(); err != nil {
					return s, err
				}
				continue
			}
			if s.key, err = d.DecodeString(); err != nil {
				return s, err
			}
			s.ok = true
		case i == 2 && !ts.keysOnly:
			code, err := d.PeekCode()
			if err != nil {
				return s, err
			}
			if !msgpcode.IsString(code) && !msgpcode.IsBin(code) {
				s.ok = false
				if err := d.Skip(); err != nil {
					return s, err
				}
				continue
			}
			if s.value, err = d.DecodeBytes(); err != nil {
				return s, err
			}
		default:
			if err := d.Skip(); err != nil {
				return s, err
			}
		}
	}
	if fields < 3 && !ts.keysOnly {
		s.ok = false
	}
	return s, nil
}

// ints decodes the reply of an eval that returns integers: the values
// the Lua returned, in order.
type ints struct{ v []int64 }

// DecodeMsgpack reads [n, ...].
func (r *ints) DecodeMsgpack(d *msgpack.Decoder) error {
	n, err := d.DecodeArrayLen()
	if err != nil {
		return err
	}
	r.v = r.v[:0]
	for range max(n, 0) {
		v, err := d.DecodeInt64()
		if err != nil {
			return err
		}
		r.v = append(r.v, v)
	}
	return nil
}

// at returns the i-th value, or 0 when the reply had fewer.
func (r *ints) at(i int) int64 {
	if i < len(r.v) {
		return r.v[i]
	}
	return 0
}
