package backend

// The CBOR format (FormatBinary): see format.go for the formats together.

import (
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"
)

// cborEntry is the CBOR shape of an entry: an array [value, written, stale,
// expire, keep], each time null (zero) or [seconds, nanoseconds].
type cborEntry struct {
	_       struct{} `cbor:",toarray"`
	Value   []byte
	Written []int64
	Stale   []int64
	Expire  []int64
	Keep    int64
}

// cborTaggedEntry is the CBOR shape of an entry with tags: cborEntry's
// array with the tags as a sixth element (an untagged entry is written as
// before entries had tags). The embedded cborEntry's fields are flattened
// into the array, as encoding/json flattens embedded fields.
type cborTaggedEntry struct {
	_ struct{} `cbor:",toarray"`
	cborEntry
	Tags []string
}

// cborArray6 is the CBOR head of a 6-element array (a tagged entry).
const cborArray6 = 0x86

// cborModes holds the encoder and the strict decoder, built once.
type cborModes struct {
	enc cbor.EncMode
	dec cbor.DecMode
}

var getCBORModes = sync.OnceValues(func() (cborModes, error) {
	em, err := cbor.EncOptions{}.EncMode()
	if err != nil {
		return cborModes{}, err
	}
	dm, err := cbor.DecOptions{
		MaxNestedLevels:  4,
		MaxArrayElements: MaxTags,
		MaxMapPairs:      16,
		IndefLength:      cbor.IndefLengthForbidden,
		TagsMd:           cbor.TagsForbidden,
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
	}.DecMode()
	if err != nil {
		return cborModes{}, err
	}
	return cborModes{enc: em, dec: dm}, nil
})

func cborStamp(t time.Time) []int64 {
	if t.IsZero() {
		return nil
	}
	sec, nsec := stamp(t)
	return []int64{sec, nsec}
}

func cborUnstamp(s []int64) (time.Time, error) {
	switch len(s) {
	case 0:
		return time.Time{}, nil
	case 2:
		return unstamp(s[0], s[1])
	}
	return time.Time{}, fmt.Errorf("time has %d fields, want 2", len(s))
}

func appendCBOR(dst []byte, e Entry) ([]byte, error) {
	m, err := getCBORModes()
	if err != nil {
		return dst, fmt.Errorf("backend: cbor: %w", err)
	}
	ce := cborEntry{
		Value:   e.Value,
		Written: cborStamp(e.Written),
		Stale:   cborStamp(e.Stale),
		Expire:  cborStamp(e.Expire),
		Keep:    int64(e.Keep),
	}
	var b []byte
	if len(e.Tags) > 0 {
		for _, t := range e.Tags {
			if !utf8.ValidString(t) {
				return dst, fmt.Errorf("backend: tag %q is not UTF-8 and cannot be written as CBOR", t)
			}
		}
		b, err = m.enc.Marshal(cborTaggedEntry{cborEntry: ce, Tags: e.Tags})
	} else {
		b, err = m.enc.Marshal(ce)
	}
	if err != nil {
		return dst, fmt.Errorf("backend: cbor: %w", err)
	}
	return append(dst, b...), nil
}

func decodeCBOR(p []byte) (Entry, error) {
	m, err := getCBORModes()
	if err != nil {
		return Entry{}, err
	}
	var (
		ce   cborEntry
		tags []string
	)
	if len(p) > 0 && p[0] == cborArray6 {
		var te cborTaggedEntry
		if err := m.dec.Unmarshal(p, &te); err != nil {
			return Entry{}, err
		}
		ce, tags = te.cborEntry, te.Tags
	} else if err := m.dec.Unmarshal(p, &ce); err != nil {
		return Entry{}, err
	}
	e := Entry{Value: ce.Value, Keep: time.Duration(ce.Keep), Tags: tags}
	if err = decodeTimes(&e, cborUnstamp, ce.Written, ce.Stale, ce.Expire); err != nil {
		return Entry{}, err
	}
	return e, nil
}
