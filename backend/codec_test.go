package backend

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// seal builds stored bytes around body with a valid header and checksum, so
// that tests reach the decoders behind the checksum.
func seal(f Format, c Compression, body []byte) []byte {
	b := []byte{codecMagic0, codecMagic1, codecVersion, byte(f), byte(c), 0, 0, 0, 0}
	b = append(b, body...)
	sum := crc32.Update(crc32.Checksum(b[:checkedHeader], crcTable), crcTable, b[headerSize:])
	binary.LittleEndian.PutUint32(b[checkedHeader:headerSize], sum)
	return b
}

// sameEntry reports how a and b differ, or "" when they are the same entry:
// equal bytes with the same nil-ness, equal instants, equal Keep.
func sameEntry(a, b Entry) string {
	if !bytes.Equal(a.Value, b.Value) || (a.Value == nil) != (b.Value == nil) {
		return fmt.Sprintf("value: %s vs %s", short(a.Value), short(b.Value))
	}
	for _, p := range []struct {
		name string
		x, y time.Time
	}{{"written", a.Written, b.Written}, {"stale", a.Stale, b.Stale}, {"expire", a.Expire, b.Expire}} {
		if !p.x.Equal(p.y) || p.x.IsZero() != p.y.IsZero() {
			return fmt.Sprintf("%s: %v vs %v", p.name, p.x, p.y)
		}
	}
	if a.Keep != b.Keep {
		return fmt.Sprintf("keep: %v vs %v", a.Keep, b.Keep)
	}
	if !slices.Equal(a.Tags, b.Tags) {
		return fmt.Sprintf("tags: %q vs %q", a.Tags, b.Tags)
	}
	return ""
}

func short(v []byte) string {
	if v == nil {
		return "nil"
	}
	if len(v) > 32 {
		return fmt.Sprintf("%d bytes %x...", len(v), v[:16])
	}
	return fmt.Sprintf("%q", v)
}

func allCodecs() []Codec {
	var cs []Codec
	for _, f := range []Format{FormatJSON, FormatMsgPack, FormatBinary} {
		for _, c := range []Compression{CompressionNone, CompressionGzip, CompressionZstd} {
			cs = append(cs, Codec{Format: f, Compression: c})
		}
	}
	return cs
}

func codecName(c Codec) string {
	return fmt.Sprintf("%v-%v-%d", c.Format, c.Compression, c.Level)
}

func randomBytes(t testing.TB, n int, seed uint64) []byte {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func sampleEntries(t testing.TB) map[string]Entry {
	t.Helper()
	at := time.Date(2025, 6, 7, 8, 9, 10, 123456789, time.FixedZone("X", 3600))
	big := randomBytes(t, 8<<20, 1)
	bigText := bytes.Repeat([]byte("hitbox caches values. "), (8<<20)/22)
	return map[string]Entry{
		"nil value zero times":   {},
		"empty value zero times": {Value: []byte{}},
		"text": {
			Value: []byte(`{"hello":"wörld","html":"<b>&</b>"}`), Written: at,
			Stale: at.Add(time.Minute), Expire: at.Add(2 * time.Minute), Keep: time.Hour,
		},
		"binary":            {Value: []byte{0, 0xff, 0xc3, 0x28, 0x80}, Expire: at},
		"invalid utf8 only": {Value: []byte{0xc3}},
		"nanoseconds":       {Value: []byte("x"), Written: time.Unix(0, 1), Stale: time.Unix(1, 999999999), Expire: time.Unix(-1, 5)},
		"epoch is not zero": {Value: []byte("x"), Written: time.Unix(0, 0)},
		"year 1 and 9999": {
			Written: time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
			Expire:  time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		},
		"negative keep":  {Value: []byte("x"), Keep: -time.Second},
		"max keep":       {Keep: math.MaxInt64},
		"min keep":       {Keep: math.MinInt64},
		"8 MiB random":   {Value: big, Written: at, Expire: at.Add(time.Hour)},
		"8 MiB text":     {Value: bigText, Written: at},
		"all zero bytes": {Value: make([]byte, 1000)},
		"tagged": {
			Value: []byte("t"), Written: at, Expire: at.Add(time.Hour),
			Tags: []string{"user=42", "product=7", "ключ=значение", `quote"back\\slash`, "nul\x00"},
		},
		"one tag nil value": {Tags: []string{"x"}},
		"max tags":          {Value: []byte("m"), Tags: manyTags(MaxTags, 1)},
		"long tags":         {Value: []byte("l"), Tags: manyTags(40, MaxTagLen)},
	}
}

// manyTags returns n distinct tags of size bytes each (at least 8).
func manyTags(n, size int) []string {
	tags := make([]string, n)
	for i := range tags {
		s := fmt.Sprintf("tag%05d", i)
		tags[i] = s + strings.Repeat("x", max(size-len(s), 0))
	}
	return tags
}

func TestCodecRoundTrip(t *testing.T) {
	t.Parallel()
	entries := sampleEntries(t)
	codecs := append(allCodecs(),
		Codec{Format: FormatMsgPack, Compression: CompressionGzip, Level: 1},
		Codec{Format: FormatMsgPack, Compression: CompressionZstd, Level: 1},
		Codec{Format: FormatBinary, Compression: CompressionZstd, Level: 19},
	)
	for _, c := range codecs {
		t.Run(codecName(c), func(t *testing.T) {
			t.Parallel()
			for name, e := range entries {
				prefix := []byte("keep me")
				b, err := c.Encode(prefix, e)
				if err != nil {
					t.Fatalf("%s: Encode: %v", name, err)
				}
				if !bytes.HasPrefix(b, []byte("keep me")) {
					t.Fatalf("%s: Encode did not append to dst", name)
				}
				// Decode with a zero Codec: the header says how to read it.
				got, err := Codec{}.Decode(b[len("keep me"):])
				if err != nil {
					t.Fatalf("%s: Decode: %v", name, err)
				}
				if d := sameEntry(got, e); d != "" {
					t.Fatalf("%s: round trip differs: %s", name, d)
				}
				for _, tm := range []time.Time{got.Written, got.Stale, got.Expire} {
					if !tm.IsZero() && tm.Location() != time.UTC {
						t.Fatalf("%s: decoded time %v not in UTC", name, tm)
					}
				}
			}
		})
	}
}

// TestDecodeDoesNotAlias checks that the decoded value is a copy: changing
// the stored bytes afterwards leaves it alone.
func TestDecodeDoesNotAlias(t *testing.T) {
	t.Parallel()
	for _, c := range allCodecs() {
		b, err := c.Encode(nil, Entry{Value: []byte("original")})
		if err != nil {
			t.Fatal(err)
		}
		e, err := c.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		for i := range b {
			b[i] = 'X'
		}
		if string(e.Value) != "original" {
			t.Fatalf("%s: value changed with the stored bytes to %q", codecName(c), e.Value)
		}
	}
}

func validEncodings(t testing.TB) [][]byte {
	t.Helper()
	at := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	es := []Entry{
		{},
		{Value: []byte("hello, world"), Written: at, Stale: at.Add(time.Second), Expire: at.Add(time.Minute), Keep: time.Minute},
		{Value: []byte{0xff, 0x00, 0xfe}, Expire: at},
		{Value: []byte("t"), Written: at, Tags: []string{"user=42", "p"}},
	}
	var out [][]byte
	for _, c := range allCodecs() {
		for _, e := range es {
			b, err := c.Encode(nil, e)
			if err != nil {
				t.Fatalf("%s: Encode: %v", codecName(c), err)
			}
			out = append(out, b)
		}
	}
	return out
}

func mustDecodeError(t *testing.T, what string, b []byte) {
	t.Helper()
	e, err := Codec{}.Decode(b)
	if !errors.Is(err, ErrDecode) {
		t.Fatalf("Decode(%s) = %+v, %v; want an error wrapping ErrDecode", what, e, err)
	}
}

func TestDecodeForeign(t *testing.T) {
	t.Parallel()
	valid := validEncodings(t)[4]
	wrongVersion := bytes.Clone(valid)
	wrongVersion[2] = 2
	tests := []struct {
		name string
		b    []byte
	}{
		{name: "nil", b: nil},
		{name: "empty", b: []byte{}},
		{name: "text", b: []byte("hello, this is not an entry")},
		{name: "json", b: []byte(`{"value":"x"}`)},
		{name: "gzip magic", b: []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}},
		{name: "zstd magic", b: []byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0, 0, 0}},
		{name: "magic only", b: []byte("hb")},
		{name: "header only", b: valid[:headerSize]},
		{name: "wrong version", b: wrongVersion},
		{name: "unknown format", b: seal(7, CompressionNone, []byte{0x90})},
		{name: "zero format", b: seal(0, CompressionNone, []byte{0x90})},
		{name: "unknown compression", b: seal(FormatMsgPack, 9, []byte{0x90})},
		{name: "json garbage", b: seal(FormatJSON, CompressionNone, []byte("{not json"))},
		{name: "json trailing", b: seal(FormatJSON, CompressionNone, []byte(`{} {}`))},
		{name: "json bad time", b: seal(FormatJSON, CompressionNone, []byte(`{"expire":"yesterday"}`))},
		{name: "json bad keep", b: seal(FormatJSON, CompressionNone, []byte(`{"keep":"forever"}`))},
		{name: "json bad base64", b: seal(FormatJSON, CompressionNone, []byte(`{"encoding":"base64","value":"!!"}`))},
		{name: "json base64 no value", b: seal(FormatJSON, CompressionNone, []byte(`{"encoding":"base64"}`))},
		{name: "json unknown encoding", b: seal(FormatJSON, CompressionNone, []byte(`{"encoding":"hex","value":"00"}`))},
		{name: "msgpack empty", b: seal(FormatMsgPack, CompressionNone, nil)},
		{name: "msgpack wrong arity", b: seal(FormatMsgPack, CompressionNone, []byte{0x92, 0xc0, 0xc0})},
		{name: "msgpack huge bin claim", b: seal(FormatMsgPack, CompressionNone, []byte{0x95, 0xc6, 0xff, 0xff, 0xff, 0xff, 1})},
		{name: "msgpack trailing", b: seal(FormatMsgPack, CompressionNone, []byte{0x95, 0xc0, 0xc0, 0xc0, 0xc0, 0, 0})},
		{name: "msgpack bad nsec", b: seal(FormatMsgPack, CompressionNone, []byte{0x95, 0xc0, 0x92, 0, 0xce, 0x3b, 0x9a, 0xca, 0x00, 0xc0, 0xc0, 0})},
		{name: "msgpack time arity", b: seal(FormatMsgPack, CompressionNone, []byte{0x95, 0xc0, 0x91, 0, 0xc0, 0xc0, 0})},
		{name: "msgpack overflowing seconds", b: seal(FormatMsgPack, CompressionNone, []byte{0x95, 0xc0, 0x92, 0xcf, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0xc0, 0xc0, 0})},
		{name: "cbor empty", b: seal(FormatBinary, CompressionNone, nil)},
		{name: "cbor wrong arity", b: seal(FormatBinary, CompressionNone, []byte{0x82, 0xf6, 0xf6})},
		{name: "cbor huge bstr claim", b: seal(FormatBinary, CompressionNone, []byte{0x85, 0x5a, 0xff, 0xff, 0xff, 0xff, 0})},
		{name: "cbor tag", b: seal(FormatBinary, CompressionNone, []byte{0xc1, 0x85, 0xf6, 0xf6, 0xf6, 0xf6, 0})},
		{name: "cbor deep nesting", b: seal(FormatBinary, CompressionNone, bytes.Repeat([]byte{0x81}, 100))},
		{name: "cbor time arity", b: seal(FormatBinary, CompressionNone, []byte{0x85, 0xf6, 0x81, 0, 0xf6, 0xf6, 0})},
		{name: "gzip garbage", b: seal(FormatMsgPack, CompressionGzip, []byte("not gzip at all"))},
		{name: "zstd garbage", b: seal(FormatMsgPack, CompressionZstd, []byte("not zstd at all"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mustDecodeError(t, tt.name, tt.b)
		})
	}
}

func TestDecodeTruncated(t *testing.T) {
	t.Parallel()
	for _, b := range validEncodings(t) {
		for n := range len(b) {
			mustDecodeError(t, fmt.Sprintf("%v/%v %d of %d bytes", Format(b[3]), Compression(b[4]), n, len(b)), b[:n])
		}
	}
}

func TestDecodeFlipped(t *testing.T) {
	t.Parallel()
	for _, b := range validEncodings(t) {
		for i := range b {
			for _, mask := range []byte{0x01, 0x80, 0xff} {
				c := bytes.Clone(b)
				c[i] ^= mask
				mustDecodeError(t, fmt.Sprintf("%v/%v byte %d ^ %#x", Format(b[3]), Compression(b[4]), i, mask), c)
			}
		}
	}
}

func TestCodecConcurrent(t *testing.T) {
	t.Parallel()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i, c := range allCodecs() {
				e := Entry{Value: []byte(fmt.Sprintf("goroutine %d value %d", g, i)), Keep: time.Duration(g)}
				b, err := c.Encode(nil, e)
				if err != nil {
					t.Errorf("Encode: %v", err)
					return
				}
				got, err := c.Decode(b)
				if err != nil {
					t.Errorf("Decode: %v", err)
					return
				}
				if d := sameEntry(got, e); d != "" {
					t.Errorf("%s: %s", codecName(c), d)
				}
			}
		})
	}
	wg.Wait()
}

func FuzzDecode(f *testing.F) {
	for _, b := range validEncodings(f) {
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte("hb\x01\x01\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		codec := Codec{MaxDecodedSize: 1 << 20}
		e, err := codec.Decode(b)
		if err != nil {
			if !errors.Is(err, ErrDecode) {
				t.Fatalf("Decode error %v does not wrap ErrDecode", err)
			}
			return
		}
		// What decoded must encode again, in the same format and
		// compression, and decode to the same entry.
		again := Codec{Format: Format(b[3]), Compression: Compression(b[4]), MaxDecodedSize: 1 << 20}
		b2, err := again.Encode(nil, e)
		if err != nil {
			t.Fatalf("re-Encode(%+v): %v", e, err)
		}
		e2, err := again.Decode(b2)
		if err != nil {
			t.Fatalf("Decode(re-encoded): %v", err)
		}
		if d := sameEntry(e, e2); d != "" {
			t.Fatalf("re-encoded entry differs: %s", d)
		}
	})
}

func BenchmarkCodec(b *testing.B) {
	e := Entry{Value: bytes.Repeat([]byte("0123456789abcdef"), 64), Written: time.Now(), Expire: time.Now().Add(time.Minute), Keep: time.Minute}
	for _, c := range allCodecs() {
		b.Run(codecName(c), func(b *testing.B) {
			buf, err := c.Encode(nil, e)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(len(buf)), "bytes/entry")
			b.ReportAllocs()
			for b.Loop() {
				buf, err = c.Encode(buf[:0], e)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := c.Decode(buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestJSONFastPath checks that the reflection-free reader of the JSON
// layout reads what encoding/json reads, and declines what it cannot.
func TestJSONFastPath(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 12, 0, 0, 123456789, time.UTC)
	for _, e := range []Entry{
		{},
		{Value: []byte{}},
		{Value: []byte("plain text"), Written: now, Stale: now.Add(time.Second), Expire: now.Add(time.Minute), Keep: time.Hour},
		{Value: []byte("needs \"escapes\"\n"), Written: now},
		{Value: []byte(`{"id":1,"name":"Ann <a&b>","path":"a\\b/c","tab":"\t","é":"\u2028☃"}`), Written: now},
		{Value: []byte{0, 1, 2, 0xff}, Expire: now},
	} {
		b, err := appendJSON(nil, e)
		if err != nil {
			t.Fatal(err)
		}
		var slow jsonEntry
		if err := json.Unmarshal(b, &slow); err != nil {
			t.Fatal(err)
		}
		fast, ok := parseJSONFast(b)
		if !ok || !cmp.Equal(fast, slow) {
			t.Errorf("fast path on %s = %+v (%v), want %+v", b, fast, ok, slow)
		}
	}
	for _, s := range []string{`{"value":"a","value":"b"}`, `{ "value":"a"}`, `{"other":"x"}`, `{"value":"a"`, `{"value":1}`, `{"keep":"1s""value":"a"}`,
		`{"value":"\ud83d\ude00"}`, `{"value":"\x"}`, `{"value":"\u12"}`, `{"value":"a\"}`, `{"value":"\u+123"}`, `{"value":"\u0_12"}`} {
		if je, ok := parseJSONFast([]byte(s)); ok {
			t.Errorf("fast path accepted %s as %+v", s, je)
		}
	}
}

// TestMsgPackFastPath checks that the decoder-free reader of the MessagePack
// layout reads what the msgpack decoder reads, and declines what it cannot.
func TestMsgPackFastPath(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 12, 0, 0, 123456789, time.UTC)
	for _, e := range []Entry{
		{},
		{Value: []byte{}},
		{Value: []byte("v"), Written: now, Stale: now.Add(time.Second), Expire: now.Add(time.Minute), Keep: time.Hour},
		{Value: bytes.Repeat([]byte{0xff}, 300), Written: time.Unix(-1, 5), Keep: -1},
		{Value: bytes.Repeat([]byte{1}, 70000), Expire: time.Date(9999, 1, 1, 0, 0, 0, 999999999, time.UTC), Keep: math.MinInt64},
		{Written: time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), Keep: math.MaxInt64},
	} {
		b, err := appendMsgPack(nil, e)
		if err != nil {
			t.Fatal(err)
		}
		checkMsgPackFast(t, b)
		if _, ok := parseMsgPackFast(b, false); !ok {
			t.Errorf("fast path declined the layout appendMsgPack wrote for %+v", e)
		}
	}
	for _, b := range [][]byte{
		{},
		{0x95},
		{0x95, 0xc0, 0xc0, 0xc0, 0xc0}, // no keep
		{0x95, 0xc0, 0xc0, 0xc0, 0xc0, 0x00, 0x00},                                           // trailing byte
		{0x95, 0xa1, 'v', 0xc0, 0xc0, 0xc0, 0x00},                                            // str, not bin
		{0x95, 0xc4, 0x05, 'v', 0xc0, 0xc0, 0xc0, 0},                                         // bin longer than the rest
		{0x95, 0xc0, 0x92, 0x00, 0xce, 0x3b, 0x9a, 0xca, 0x00, 0xc0, 0xc0, 0x00},             // nsec 1e9
		{0x95, 0xc0, 0xc0, 0xc0, 0xc0, 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, // keep over int64
	} {
		checkMsgPackFast(t, b)
	}
}

// checkMsgPackFast fails t when the fast path accepts b and reads it
// otherwise than the msgpack decoder.
func checkMsgPackFast(t *testing.T, b []byte) {
	t.Helper()
	fast, ok := parseMsgPackFast(b, false)
	if !ok {
		return
	}
	md := msgpackDecoders.Get().(*msgpackDecoder)
	md.r.Reset(b)
	md.dec.Reset(&md.r)
	slow, err := md.decode(b, false)
	if err != nil {
		t.Errorf("fast path accepted % x, which the decoder rejects: %v", b, err)
		return
	}
	if d := sameEntry(fast, slow); d != "" || (fast.Value == nil) != (slow.Value == nil) {
		t.Errorf("fast path read % x otherwise than the decoder: %s (nil values %v, %v)", b, d, fast.Value == nil, slow.Value == nil)
	}
}

// FuzzMsgPackFastPath checks the fast path against the decoder on any
// bytes.
func FuzzMsgPackFastPath(f *testing.F) {
	for _, e := range []Entry{{}, {Value: []byte("v"), Written: time.Unix(1, 2), Keep: 3}, {Value: []byte("t"), Tags: []string{"a=1", strings.Repeat("b", 40)}}} {
		b, err := appendMsgPack(nil, e)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(checkMsgPackFast)
}
