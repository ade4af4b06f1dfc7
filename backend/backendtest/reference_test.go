package backendtest

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend"
)

// refStore is the reference store the suite is tested against: a
// mutex-protected map of encoded entries honouring the backend contract.
// Its mutant field switches on one deliberate bug, so that the tests can
// check the suite catches it.
type refStore struct {
	now    func() time.Time
	mutant string

	mu           sync.Mutex // guards the fields below
	m            map[string][]byte
	last         []byte // the last value set (for the "crossed" mutant)
	decodeErrors uint64
	marks        map[string]time.Time
}

func newRefStore(now func() time.Time, mutant string) *refStore {
	return &refStore{now: now, mutant: mutant, m: map[string][]byte{}, marks: map[string]time.Time{}}
}

var refMagic = []byte("REF1")

// encode lays e out as: magic, three length-prefixed binary times, Keep,
// length-prefixed value, length-prefixed tags, CRC-32 of everything before
// it.
func encode(e backend.Entry) []byte {
	b := bytes.Clone(refMagic)
	for _, t := range []time.Time{e.Written, e.Stale, e.Expire} {
		tb, err := t.MarshalBinary()
		if err != nil {
			panic(err) // only for years outside [-32768, 32767]
		}
		b = append(b, byte(len(tb)))
		b = append(b, tb...)
	}
	b = binary.BigEndian.AppendUint64(b, uint64(e.Keep))
	b = binary.BigEndian.AppendUint32(b, uint32(len(e.Value)))
	b = append(b, e.Value...)
	for _, t := range e.Tags {
		b = binary.BigEndian.AppendUint32(b, uint32(len(t)))
		b = append(b, t...)
	}
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

var errCorrupt = fmt.Errorf("ref: %w", backend.ErrDecode)

func decode(b []byte, checkCRC bool) (backend.Entry, error) {
	var e backend.Entry
	if len(b) < len(refMagic)+4 || !bytes.HasPrefix(b, refMagic) {
		return e, errCorrupt
	}
	body, sum := b[:len(b)-4], binary.BigEndian.Uint32(b[len(b)-4:])
	if checkCRC && crc32.ChecksumIEEE(body) != sum {
		return e, errCorrupt
	}
	p := body[len(refMagic):]
	for _, t := range []*time.Time{&e.Written, &e.Stale, &e.Expire} {
		if len(p) < 1 || len(p) < 1+int(p[0]) {
			return e, errCorrupt
		}
		if err := t.UnmarshalBinary(p[1 : 1+p[0]]); err != nil {
			return e, errCorrupt
		}
		p = p[1+p[0]:]
	}
	if len(p) < 12 {
		return e, errCorrupt
	}
	e.Keep = time.Duration(binary.BigEndian.Uint64(p))
	n := binary.BigEndian.Uint32(p[8:])
	if uint32(len(p)-12) < n {
		return e, errCorrupt
	}
	e.Value, p = p[12:12+n], p[12+n:]
	for len(p) > 0 {
		if len(p) < 4 || uint32(len(p)-4) < binary.BigEndian.Uint32(p) {
			return e, errCorrupt
		}
		n := binary.BigEndian.Uint32(p)
		e.Tags, p = append(e.Tags, string(p[4:4+n])), p[4+n:]
	}
	return e, nil
}

func (s *refStore) clock() time.Time {
	if s.mutant == "wallclock" {
		return time.Now()
	}
	return s.now()
}

func (s *refStore) check(ctx context.Context, key string) error {
	if s.mutant != "nilctx" && ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if key == "" && s.mutant != "emptykey" {
		return fmt.Errorf("ref: %w: empty key", backend.ErrInvalidKey)
	}
	return nil
}

func (s *refStore) Get(ctx context.Context, key string) (backend.Entry, bool, error) {
	if err := s.check(ctx, key); err != nil {
		return backend.Entry{}, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	raw, ok := s.m[key]
	if !ok {
		return backend.Entry{}, false, nil
	}
	e, err := decode(raw, s.mutant != "nocrc")
	if err != nil {
		if s.mutant != "nodecodecount" {
			s.decodeErrors++
		}
		if s.mutant == "decodeerror" {
			return backend.Entry{}, false, err
		}
		return backend.Entry{}, false, nil
	}
	if e.Gone(s.clock()) && s.mutant != "noexpiry" {
		delete(s.m, key)
		return backend.Entry{}, false, nil
	}
	if s.mutant == "emptymiss" && len(e.Value) == 0 {
		return backend.Entry{}, false, nil
	}
	if s.mutant == "crossed" && s.last != nil {
		e.Value = s.last
	}
	if s.mutant == "droptags" {
		e.Tags = nil
	}
	return e, true, nil
}

func (s *refStore) Set(ctx context.Context, key string, e backend.Entry) error {
	if s.mutant == "cancelcorrupt" && ctx != nil && ctx.Err() != nil {
		s.mu.Lock()
		s.m[key] = encode(backend.Entry{})
		s.mu.Unlock()
	}
	if s.mutant == "badinput" && key == "" {
		s.mu.Lock()
		clear(s.m)
		s.mu.Unlock()
	}
	if err := s.check(ctx, key); err != nil {
		return err
	}
	if e.Gone(s.clock()) {
		if s.mutant == "storepast" {
			e.Keep = 24 * time.Hour
		} else {
			return nil
		}
	}
	switch s.mutant {
	case "millis":
		e.Written = e.Written.Truncate(time.Millisecond)
	case "keycollide":
		key = strings.ToValidUTF8(key, "?")
	case "toolarge":
		if len(e.Value) > 1<<20 {
			return fmt.Errorf("ref: %w", backend.ErrTooLarge)
		}
	}
	raw := encode(e)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = raw
	s.last = e.Value
	return nil
}

func (s *refStore) Delete(ctx context.Context, key string) (bool, error) {
	if err := s.check(ctx, key); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[key]
	delete(s.m, key)
	return ok || s.mutant == "deletelies", nil
}

func (s *refStore) List(ctx context.Context, prefix string, fn func(backend.KeyInfo) bool) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	var infos []backend.KeyInfo
	now := s.clock()
	for k, raw := range s.m {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		e, err := decode(raw, true)
		if err != nil || (e.Gone(now) && s.mutant != "listgone") {
			continue
		}
		info := backend.KeyInfo{Key: k, Written: e.Written, Stale: e.Stale, Expire: e.Expire, Keep: e.Keep, Tags: e.Tags, Size: len(raw)}
		if s.mutant == "listtags" && len(info.Tags) > 1 {
			info.Tags = info.Tags[1:]
		}
		infos = append(infos, info)
	}
	s.mu.Unlock() // call fn outside the lock
	for _, info := range infos {
		if !fn(info) && s.mutant != "listnostop" {
			break
		}
	}
	return nil
}

func (s *refStore) Purge(ctx context.Context, prefix string) (int, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k := range s.m {
		if strings.HasPrefix(k, prefix) {
			delete(s.m, k)
			n++
		}
	}
	if s.mutant == "purgecount" {
		n = 0
	}
	return n, nil
}

func (s *refStore) InvalidateTags(ctx context.Context, tags []string, at time.Time) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range tags {
		if old := s.marks[t]; at.After(old) || s.mutant == "markback" {
			s.marks[t] = at
		}
	}
	return nil
}

func (s *refStore) TagsInvalidated(ctx context.Context, tags []string) (time.Time, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return time.Time{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var latest time.Time
	for _, t := range tags {
		if at := s.marks[t]; at.After(latest) {
			latest = at
			if s.mutant == "markfirst" {
				break
			}
		}
	}
	return latest, nil
}

func (s *refStore) Stats() backend.Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return backend.Stats{Label: "ref", DecodeErrors: s.decodeErrors, Entries: int64(len(s.m)), Bytes: -1}
}

func (s *refStore) Label() string { return "ref" }

// writeRaw and readRaw are the reference store's Options.WriteRaw and
// ReadRaw; b may be the store itself or a Fault around it.
func writeRaw(t *testing.T, b backend.Backend, key string, raw []byte) {
	s := unwrapRef(t, b)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = raw
}

func readRaw(t *testing.T, b backend.Backend, key string) []byte {
	s := unwrapRef(t, b)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[key]
}

func unwrapRef(t *testing.T, b backend.Backend) *refStore {
	t.Helper()
	for {
		switch v := b.(type) {
		case *refStore:
			return v
		case interface{ Unwrap() backend.Backend }:
			b = v.Unwrap()
		default:
			t.Fatalf("%T is not a reference store", b)
			return nil
		}
	}
}

var (
	_ backend.Backend       = (*refStore)(nil)
	_ backend.Lister        = (*refStore)(nil)
	_ backend.Purger        = (*refStore)(nil)
	_ backend.StatsReporter = (*refStore)(nil)
	_ backend.Labeled       = (*refStore)(nil)
	_ backend.Tagger        = (*refStore)(nil)
)
