package backend

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"
)

// goldenAt and goldenEntry are what the golden encodings below hold.
var goldenAt = time.Date(2025, 6, 7, 8, 9, 10, 123456789, time.UTC)

func goldenEntry() Entry {
	return Entry{Value: []byte("hello"), Written: goldenAt, Stale: goldenAt.Add(time.Minute), Expire: goldenAt.Add(time.Hour), Keep: time.Hour}
}

// golden are the bytes each format wrote for goldenEntry before entries had
// tags.
var golden = map[Format]string{
	FormatJSON:    "6862010101461f74cc7b227772697474656e223a22323032352d30362d30375430383a30393a31302e3132333435363738395a222c227374616c65223a22323032352d30362d30375430383a31303a31302e3132333435363738395a222c22657870697265223a22323032352d30362d30375430393a30393a31302e3132333435363738395a222c226b656570223a223168306d3073222c2276616c7565223a2268656c6c6f227d",
	FormatMsgPack: "68620102012589c56695c40568656c6c6f92ce6843f3a6ce075bcd1592ce6843f3e2ce075bcd1592ce684401b6ce075bcd15cf0000034630b8a000",
	FormatBinary:  "68620103015e7c476d854568656c6c6f821a6843f3a61a075bcd15821a6843f3e21a075bcd15821a684401b61a075bcd151b0000034630b8a000",
}

// TestTagsBackwardCompatible checks that bytes written before entries had
// tags decode as they did, untagged, and that an untagged entry is still
// written byte for byte as then.
func TestTagsBackwardCompatible(t *testing.T) {
	t.Parallel()
	for f, h := range golden {
		old, err := hex.DecodeString(h)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Codec{}.Decode(old)
		if err != nil {
			t.Fatalf("%v: Decode(old bytes) = %v", f, err)
		}
		if d := sameEntry(got, goldenEntry()); d != "" || got.Tags != nil {
			t.Fatalf("%v: old bytes decode otherwise: %s (tags %q)", f, d, got.Tags)
		}
		now, err := Codec{Format: f}.Encode(nil, goldenEntry())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(now, old) {
			t.Errorf("%v: an untagged entry encodes as\n%x\nwant the bytes written before tags\n%s", f, now, h)
		}
	}
}

// TestTagsFastPaths checks that tagged entries take the reflection-free
// readers of JSON and MessagePack, and that those read them as the slow
// decoders do.
func TestTagsFastPaths(t *testing.T) {
	t.Parallel()
	for _, tags := range [][]string{{"a"}, {"user=42", "product=7"}, manyTags(20, 40), manyTags(MaxTags, 300), {strings.Repeat("l", MaxTagLen)}} {
		e := goldenEntry()
		e.Tags = tags
		j, err := appendJSON(nil, e)
		if err != nil {
			t.Fatal(err)
		}
		fast, ok := parseJSONFast(j)
		if !ok {
			t.Fatalf("JSON fast path declined %d tags", len(tags))
		}
		var slow jsonEntry
		if err := json.Unmarshal(j, &slow); err != nil {
			t.Fatal(err)
		}
		if !equalStrings(fast.Tags, slow.Tags) || !equalStrings(fast.Tags, tags) {
			t.Fatalf("JSON fast path read tags %q, decoder %q, want %q", fast.Tags, slow.Tags, tags)
		}
		m, err := appendMsgPack(nil, e)
		if err != nil {
			t.Fatal(err)
		}
		fe, ok := parseMsgPackFast(m, false)
		if !ok {
			t.Fatalf("MessagePack fast path declined %d tags", len(tags))
		}
		if d := sameEntry(fe, e); d != "" {
			t.Fatalf("MessagePack fast path: %s", d)
		}
		checkMsgPackFast(t, m)
	}
	for _, s := range []string{`{"value":"a","tags":[]}`, `{"value":"a","tags":["x",]}`, `{"value":"a","tags":["x"`, `{"value":"a","tags":"x"}`, `{"tags":["x"],"value":"a"}`, `{"value":"a","tags":["x"]]}`, `{"value":"a","tags":[1]}`} {
		if je, ok := parseJSONFast([]byte(s)); ok {
			t.Errorf("JSON fast path accepted %s as %+v", s, je)
		}
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestTagsEncodeRefused checks the tags no format writes: empty ones, too
// many, too long, and (JSON and CBOR, whose strings are UTF-8) invalid
// UTF-8, which MessagePack keeps as it is.
func TestTagsEncodeRefused(t *testing.T) {
	t.Parallel()
	bad := map[string][]string{
		"empty":    {"a", ""},
		"too many": manyTags(MaxTags+1, 8),
		"too long": {strings.Repeat("x", MaxTagLen+1)},
	}
	for _, c := range allCodecs() {
		for name, tags := range bad {
			if _, err := c.Encode(nil, Entry{Value: []byte("v"), Tags: tags}); err == nil {
				t.Errorf("%s: Encode with %s tags = nil error, want one", codecName(c), name)
			}
		}
		b, err := c.Encode(nil, Entry{Value: []byte("v"), Tags: []string{"bad\xff"}})
		if c.Format == FormatMsgPack {
			e, err := c.Decode(b)
			if err != nil || !equalStrings(e.Tags, []string{"bad\xff"}) {
				t.Errorf("%s: a non-UTF-8 tag came back as %q, %v", codecName(c), e.Tags, err)
			}
		} else if err == nil {
			t.Errorf("%s: Encode with a non-UTF-8 tag = nil error, want one", codecName(c))
		}
	}
}

// TestTagsHostileBytes checks that bytes claiming more tags, or longer
// ones, than the limits are a decode error, without allocating what they
// claim.
func TestTagsHostileBytes(t *testing.T) {
	t.Parallel()
	// [nil, nil, nil, nil, 0, tags]
	mp := func(tags ...byte) []byte { return append([]byte{0x96, 0xc0, 0xc0, 0xc0, 0xc0, 0x00}, tags...) }
	cb := func(tags ...byte) []byte { return append([]byte{0x86, 0xf6, 0xf6, 0xf6, 0xf6, 0x00}, tags...) }
	bodies := map[string]struct {
		f Format
		b []byte
	}{
		"msgpack array32 of 2^32-1 tags":      {FormatMsgPack, mp(0xdd, 0xff, 0xff, 0xff, 0xff)},
		"msgpack 1025 tags":                   {FormatMsgPack, mp(append([]byte{0xdc, 0x04, 0x01}, bytes.Repeat([]byte{0xa1, 'x'}, 1025)...)...)},
		"msgpack str32 of 2^32-1 bytes":       {FormatMsgPack, mp(0x91, 0xdb, 0xff, 0xff, 0xff, 0xff, 'x')},
		"msgpack tag over MaxTagLen":          {FormatMsgPack, mp(append([]byte{0x91, 0xda, 0x04, 0x01}, bytes.Repeat([]byte{'x'}, 1025)...)...)},
		"msgpack empty tag":                   {FormatMsgPack, mp(0x91, 0xa0)},
		"msgpack tag not a string":            {FormatMsgPack, mp(0x91, 0x01)},
		"msgpack 7 fields":                    {FormatMsgPack, append(mp(0x91, 0xa1, 'x'), 0xc0)},
		"cbor array of 2^32-1 tags":           {FormatBinary, cb(0x9a, 0xff, 0xff, 0xff, 0xff)},
		"cbor text of 2^32-1 bytes":           {FormatBinary, cb(0x81, 0x7a, 0xff, 0xff, 0xff, 0xff, 'x')},
		"cbor tag over MaxTagLen":             {FormatBinary, cb(append([]byte{0x81, 0x79, 0x04, 0x01}, bytes.Repeat([]byte{'x'}, 1025)...)...)},
		"cbor empty tag":                      {FormatBinary, cb(0x81, 0x60)},
		"json empty tag":                      {FormatJSON, []byte(`{"value":"a","tags":[""]}`)},
		"json tag over MaxTagLen":             {FormatJSON, []byte(`{"value":"a","tags":["` + strings.Repeat("x", MaxTagLen+1) + `"]}`)},
		"json 1025 tags":                      {FormatJSON, []byte(`{"value":"a","tags":[` + strings.Repeat(`"x",`, 1024) + `"x"]}`)},
		"json tags not strings":               {FormatJSON, []byte(`{"value":"a","tags":[1]}`)},
		"json tags not an array":              {FormatJSON, []byte(`{"value":"a","tags":"x"}`)},
		"msgpack tags of a 5-field entry":     {FormatMsgPack, []byte{0x95, 0xc0, 0xc0, 0xc0, 0xc0, 0x00, 0x91, 0xa1, 'x'}},
		"cbor tags of a 5-element array":      {FormatBinary, []byte{0x85, 0xf6, 0xf6, 0xf6, 0xf6, 0x00, 0x81, 0x61, 'x'}},
		"msgpack array16 claims past the end": {FormatMsgPack, mp(0xdc, 0x00, 0x05, 0xa1, 'x')},
	}
	for name, tc := range bodies {
		if e, err := (Codec{}).Decode(seal(tc.f, CompressionNone, tc.b)); !errors.Is(err, ErrDecode) {
			t.Errorf("%s: Decode = %+v, %v; want an error wrapping ErrDecode", name, e, err)
		}
	}
}

func TestTagMarks(t *testing.T) {
	t.Parallel()
	var m TagMarks
	if at := m.Latest([]string{"a"}); at != math.MinInt64 {
		t.Fatalf("Latest on an empty table = %d, want math.MinInt64", at)
	}
	if !m.Mark("a", 10) || m.Mark("a", 5) || m.Mark("a", 10) || !m.Mark("a", 20) {
		t.Fatal("Mark: want true, false, false, true (a mark only moves forward)")
	}
	m.Mark("b", 15)
	if at := m.Latest([]string{"b", "a", "c"}); at != 20 {
		t.Errorf("Latest = %d, want 20", at)
	}
	if at := m.LatestTime([]string{"c"}); !at.IsZero() {
		t.Errorf("LatestTime(c) = %v, want zero", at)
	}
	if n := m.Prune(16); n != 1 || m.Len() != 1 {
		t.Errorf("Prune(16) = %d, Len %d; want 1, 1", n, m.Len())
	}
	// The floor stands for the pruned marks: every tag reads at least 16.
	if at := m.Latest([]string{"b"}); at != 16 {
		t.Errorf("a pruned mark reads %d, want the floor, 16", at)
	}
	if at := m.Latest([]string{"never"}); at != 16 || m.Floor() != 16 {
		t.Errorf("a tag never marked reads %d (floor %d), want 16", at, m.Floor())
	}
	if at := m.Latest(nil); at != math.MinInt64 {
		t.Errorf("no tags read %d, want math.MinInt64", at)
	}
	m.RaiseFloor(3)
	if m.Floor() != 16 {
		t.Errorf("RaiseFloor(3) moved the floor back to %d", m.Floor())
	}
	if at := m.Latest([]string{"a"}); at != 20 {
		t.Errorf("a kept mark reads %d, want 20", at)
	}
	seen := 0
	m.Range(func(tag string, at int64) bool { seen++; return tag == "a" && at == 20 })
	if seen != 1 {
		t.Errorf("Range saw %d marks, want 1", seen)
	}
	// Concurrent marks of one tag end at the greatest.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 1000 {
				m.Mark("c", int64(i*1000+j))
				_ = m.Latest([]string{"c"})
			}
		})
	}
	wg.Wait()
	if at := m.Latest([]string{"c"}); at != 7999 {
		t.Errorf("after concurrent marks: %d, want 7999", at)
	}
	for _, tm := range []time.Time{{}, time.Unix(0, 1), time.Unix(-5, 0), time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if back := MarkTime(MarkNano(tm)); !back.Equal(tm) && tm.Year() < 2262 {
			t.Errorf("MarkTime(MarkNano(%v)) = %v", tm, back)
		}
	}
}

// BenchmarkTagMarksLatest is the in-process tag check of a hit (memory,
// disk, an L1): the latest mark of an entry's two tags among 1,000 marks.
func BenchmarkTagMarksLatest(b *testing.B) {
	var m TagMarks
	for i := range 1000 {
		m.Mark("other="+strings.Repeat("x", i%7)+string(rune('a'+i%26))+string(rune(i)), int64(i))
	}
	tags := []string{"user=42", "team=7"}
	b.ReportAllocs()
	for b.Loop() {
		if m.Latest(tags) != math.MinInt64 {
			b.Fatal("a mark")
		}
	}
}

func TestCheckInvalidTags(t *testing.T) {
	long := strings.Repeat("x", MaxTagLen+1)
	tests := []struct {
		name   string
		tags   []string
		maxLen int
		want   string // "" for no error
	}{
		{"none", nil, 0, ""},
		{"fine", []string{"a", "b"}, 0, ""},
		{"past MaxTagLen without a limit", []string{long}, 0, ""},
		{"empty", []string{"a", ""}, 0, "empty tag"},
		{"too long", []string{"abc"}, 2, "tag of 3 bytes, at most 2"},
		{"first problem wins", []string{"abc", ""}, 2, "tag of 3 bytes, at most 2"},
		{"at the limit", []string{"ab"}, 2, ""},
	}
	for _, tt := range tests {
		err := CheckInvalidTags(tt.tags, tt.maxLen)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: CheckInvalidTags = %v, want nil", tt.name, err)
		case tt.want != "" && (err == nil || err.Error() != tt.want):
			t.Errorf("%s: CheckInvalidTags = %v, want %q", tt.name, err, tt.want)
		}
	}
}
