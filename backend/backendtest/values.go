package backendtest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/hitbox-go/hitbox/backend"
)

func (s *suite) testEmptyValue(t *testing.T) {
	tests := []struct {
		name  string
		value []byte
	}{
		{"nil", nil},
		{"empty", []byte{}},
	}
	for _, tt := range tests {
		s.subtest(t, tt.name, func(t *testing.T, e *env) {
			want := e.entry("")
			want.Value = tt.value
			e.set("k", want)
			got, ok := e.get("k")
			if !ok {
				t.Fatalf(`Get("k") after Set with a %s value: miss, want an entry`, tt.name)
			}
			if len(got.Value) != 0 {
				t.Fatalf(`Get("k") value = %s, want a zero-length value`, short(got.Value))
			}
			if d := diff(got, want); d != "" {
				t.Fatalf(`Get("k"): %s`, d)
			}
		})
	}
}

// testLargeValue stores 8 MiB and MaxValueSize values, random (so that
// compression cannot shrink them) and, at the largest size, all zeros (so
// that it shrinks a lot and must expand back).
func (s *suite) testLargeValue(t *testing.T) {
	limit := s.o.maxValueSize()
	type size struct {
		name   string
		n      int
		random bool
	}
	var sizes []size
	if limit > 8<<20 {
		sizes = append(sizes, size{"8MiB random", 8 << 20, true})
	}
	sizes = append(sizes,
		size{fmt.Sprintf("%d bytes random", limit), limit, true},
		size{fmt.Sprintf("%d bytes zeros", limit), limit, false})
	e := s.open(t)
	for i, sz := range sizes {
		t.Run(sz.name, func(t *testing.T) {
			e := &env{t: t, b: e.b, clock: e.clock, ctx: t.Context()}
			want := e.entry("")
			want.Value = make([]byte, sz.n)
			if sz.random {
				fill(want.Value, uint64(i))
			}
			key := fmt.Sprintf("large/%d", i)
			e.set(key, want)
			e.mustGet(key, want)
			if !e.del(key) {
				t.Fatalf("Delete(%q) = false, want true", key)
			}
		})
	}
}

// fill writes pseudo-random bytes derived from seed into b.
func fill(b []byte, seed uint64) {
	var s [32]byte
	s[0] = byte(seed)
	s[1] = byte(seed >> 8)
	_, _ = rand.NewChaCha8(s).Read(b)
}

// oddKeys are keys a store must keep apart and return as they are: binary,
// invalid UTF-8, long, and with the characters glob patterns and key
// separators use.
func oddKeys() []string {
	return []string{
		"nul\x00byte",
		"\x00",
		"\x00\x00",
		"k",
		"k\x00",
		"\xff\xfe\xfd invalid utf-8",
		"\xc3",
		strings.Repeat("long-key/", 456)[:4096],
		strings.Repeat("long-key/", 456)[:4095],
		"with space",
		" ",
		"star*",
		"*",
		"co:lon",
		":",
		"quest?ion",
		"[brackets]",
		"back\\slash",
		"new\nline\r\n",
		"tab\t",
		"percent%s%d",
		"{hash}tag",
		"ключ 鍵 🔑",
	}
}

func (s *suite) testBinaryKeys(t *testing.T) {
	e := s.open(t)
	keys := oddKeys()
	val := func(i int) backend.Entry { return e.entry(fmt.Sprintf("value %d", i)) }
	for i, k := range keys {
		e.set(k, val(i))
	}
	for i, k := range keys {
		e.mustGet(k, val(i))
	}
	if l, ok := e.b.(backend.Lister); ok {
		var listed []string
		err := l.List(e.ctx, "", func(k backend.KeyInfo) bool {
			listed = append(listed, k.Key)
			return true
		})
		switch {
		case errors.Is(err, errors.ErrUnsupported):
		case err != nil:
			t.Fatalf(`List("") = %v, want nil`, err)
		default:
			want := slices.Clone(keys)
			slices.Sort(want)
			slices.Sort(listed)
			if !slices.Equal(listed, want) {
				t.Fatalf(`List("") keys = %q, want %q`, listed, want)
			}
		}
	}
	for i, k := range keys {
		if i%2 == 0 && !e.del(k) {
			t.Fatalf("Delete(%q) = false, want true", k)
		}
	}
	for i, k := range keys {
		if i%2 == 0 {
			e.mustMiss(k)
		} else {
			e.mustGet(k, val(i))
		}
	}
}
