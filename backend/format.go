package backend

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// Format is how a [Codec] serializes an [Entry] before compression. The zero
// Format is unset; a [Codec] reads it as [FormatJSON].
type Format int

const (
	// FormatJSON is readable JSON: the value as a JSON string when it is
	// text (valid UTF-8 without control characters other than tab, newline
	// and carriage return) and as base64 otherwise, times in RFC 3339 with
	// nanoseconds, Keep as a Go duration ("1m30s").
	FormatJSON Format = iota + 1
	// FormatMsgPack is MessagePack (compact, fast).
	FormatMsgPack
	// FormatBinary is CBOR (RFC 8949), decoded with strict limits. The
	// config's Binary, and hitbox's Bincode and Rkyv, all mean this format.
	FormatBinary
)

// String returns the config name of f ("Json", "MsgPack", "Binary") or
// "Format(N)".
func (f Format) String() string {
	switch f {
	case FormatJSON:
		return "Json"
	case FormatMsgPack:
		return "MsgPack"
	case FormatBinary:
		return "Binary"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

func (f Format) valid() bool { return f >= FormatJSON && f <= FormatBinary }

// ParseFormat returns the Format a config names, case-insensitively: Json,
// MsgPack or Binary; hitbox's Bincode and Rkyv read as [FormatBinary].
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "json":
		return FormatJSON, nil
	case "msgpack":
		return FormatMsgPack, nil
	case "binary", "bincode", "rkyv":
		return FormatBinary, nil
	}
	return 0, fmt.Errorf("backend: unknown value format %q (want Json, MsgPack or Binary)", s)
}

// appendPayload appends the serialized e to dst in format f.
func appendPayload(f Format, dst []byte, e Entry) ([]byte, error) {
	if len(e.Tags) > 0 {
		if err := CheckTags(e.Tags); err != nil {
			return dst, err
		}
	}
	switch f {
	case FormatJSON:
		return appendJSON(dst, e)
	case FormatMsgPack:
		return appendMsgPack(dst, e)
	case FormatBinary:
		return appendCBOR(dst, e)
	}
	return dst, fmt.Errorf("backend: invalid format %v", f)
}

// decodePayload parses p in format f. When owned is true, p belongs to the
// caller alone and the entry's Value may share its memory; otherwise the
// value is copied out.
func decodePayload(f Format, p []byte, owned bool) (Entry, error) {
	var (
		e   Entry
		err error
	)
	switch f {
	case FormatJSON:
		e, err = decodeJSON(p)
	case FormatMsgPack:
		e, err = decodeMsgPack(p, owned)
	case FormatBinary:
		e, err = decodeCBOR(p)
	default:
		return Entry{}, fmt.Errorf("invalid format %v", f)
	}
	if err != nil {
		return Entry{}, err
	}
	if len(e.Tags) == 0 {
		e.Tags = nil
	} else if err := CheckTags(e.Tags); err != nil {
		return Entry{}, fmt.Errorf("tags: %w", err)
	}
	return e, nil
}

// appendWriter is an io.Writer that appends to b.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

func (w *appendWriter) WriteByte(c byte) error {
	w.b = append(w.b, c)
	return nil
}

func (w *appendWriter) WriteString(s string) (int, error) {
	w.b = append(w.b, s...)
	return len(s), nil
}

// A stamp is a non-zero time as seconds and nanoseconds since the Unix
// epoch; the zero time has no stamp.
func stamp(t time.Time) (sec, nsec int64) { return t.Unix(), int64(t.Nanosecond()) }

// maxUnix is the latest second a time.Time holds, in Unix time.
const maxUnix = math.MaxInt64 - 62135596800

// unstamp rebuilds a time from its stamp, in UTC. It rejects stamps that do
// not come from a time (nanoseconds out of range, seconds that overflow).
func unstamp(sec, nsec int64) (time.Time, error) {
	if nsec < 0 || nsec >= 1e9 {
		return time.Time{}, fmt.Errorf("nanoseconds %d out of range", nsec)
	}
	if sec > maxUnix {
		return time.Time{}, fmt.Errorf("seconds %d out of range", sec)
	}
	return time.Unix(sec, nsec).UTC(), nil
}

// ---- JSON ----

// jsonEntry is the JSON shape of an entry. Zero times and a zero Keep are
// left out; a nil Value is left out, an empty one is ""; tags come last,
// left out when there are none (so that an untagged entry is written as it
// was before entries had tags).
type jsonEntry struct {
	Written  string   `json:"written,omitempty"`
	Stale    string   `json:"stale,omitempty"`
	Expire   string   `json:"expire,omitempty"`
	Keep     string   `json:"keep,omitempty"`
	Encoding string   `json:"encoding,omitempty"` // "base64" when Value is not UTF-8
	Value    *string  `json:"value,omitempty"`
	Tags     []string `json:"tags,omitempty"`
}

const jsonBase64 = "base64"

var jsonEncoders = sync.Pool{New: func() any {
	e := new(jsonEncoder)
	e.enc = json.NewEncoder(&e.w)
	e.enc.SetEscapeHTML(false)
	return e
}}

type jsonEncoder struct {
	w   appendWriter
	enc *json.Encoder
}

func appendJSON(dst []byte, e Entry) ([]byte, error) {
	var (
		je  jsonEntry
		err error
	)
	if je.Written, err = jsonTime(e.Written); err != nil {
		return dst, fmt.Errorf("backend: written: %w", err)
	}
	if je.Stale, err = jsonTime(e.Stale); err != nil {
		return dst, fmt.Errorf("backend: stale: %w", err)
	}
	if je.Expire, err = jsonTime(e.Expire); err != nil {
		return dst, fmt.Errorf("backend: expire: %w", err)
	}
	if e.Keep != 0 {
		je.Keep = e.Keep.String()
	}
	if e.Value != nil {
		var s string
		if isText(e.Value) {
			s = string(e.Value)
		} else {
			je.Encoding = jsonBase64
			s = base64.StdEncoding.EncodeToString(e.Value)
		}
		je.Value = &s
	}
	for _, t := range e.Tags {
		if !utf8.ValidString(t) {
			return dst, fmt.Errorf("backend: tag %q is not UTF-8 and cannot be written as JSON", t)
		}
	}
	je.Tags = e.Tags
	enc := jsonEncoders.Get().(*jsonEncoder)
	enc.w.b = dst
	err = enc.enc.Encode(&je)
	dst = enc.w.b
	enc.w.b = nil
	jsonEncoders.Put(enc)
	if err != nil {
		return dst, fmt.Errorf("backend: json: %w", err)
	}
	// Encode ends the document with a newline: drop it.
	return dst[:len(dst)-1], nil
}

// isText reports whether v reads well as a JSON string: valid UTF-8 without
// control characters other than tab, newline and carriage return, which
// JSON would escape six bytes each.
func isText(v []byte) bool {
	for _, c := range v {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			return false
		}
	}
	return utf8.Valid(v)
}

func jsonTime(t time.Time) (string, error) {
	if t.IsZero() {
		return "", nil
	}
	t = t.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return "", fmt.Errorf("year %d outside [0,9999] cannot be written as JSON", y)
	}
	return t.Format(time.RFC3339Nano), nil
}

// decodeTimes sets e's Written, Stale and Expire to what parse makes of
// written, stale and expire, and names the field that fails.
func decodeTimes[T any](e *Entry, parse func(T) (time.Time, error), written, stale, expire T) error {
	var err error
	if e.Written, err = parse(written); err != nil {
		return fmt.Errorf("written: %w", err)
	}
	if e.Stale, err = parse(stale); err != nil {
		return fmt.Errorf("stale: %w", err)
	}
	if e.Expire, err = parse(expire); err != nil {
		return fmt.Errorf("expire: %w", err)
	}
	return nil
}

func decodeJSON(p []byte) (Entry, error) {
	var (
		je  jsonEntry
		e   Entry
		err error
	)
	if fast, ok := parseJSONFast(p); ok && utf8.Valid(p) {
		je = fast
	} else if err := json.Unmarshal(p, &je); err != nil {
		return Entry{}, err
	}
	if err = decodeTimes(&e, parseJSONTime, je.Written, je.Stale, je.Expire); err != nil {
		return Entry{}, err
	}
	if je.Keep != "" {
		if e.Keep, err = time.ParseDuration(je.Keep); err != nil {
			return Entry{}, fmt.Errorf("keep: %w", err)
		}
	}
	switch je.Encoding {
	case "":
		if je.Value != nil {
			e.Value = []byte(*je.Value)
		}
	case jsonBase64:
		if je.Value == nil {
			return Entry{}, errors.New("base64 encoding without a value")
		}
		if e.Value, err = base64.StdEncoding.DecodeString(*je.Value); err != nil {
			return Entry{}, fmt.Errorf("value: %w", err)
		}
	default:
		return Entry{}, fmt.Errorf("unknown value encoding %q", je.Encoding)
	}
	e.Tags = je.Tags
	return e, nil
}

func parseJSONTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// ---- MessagePack ----
//
// An entry is the array [value, written, stale, expire, keep] or, when it
// has tags, [value, written, stale, expire, keep, tags]: value is bin (nil
// for a nil Value), each time is nil (zero) or [seconds, nanoseconds], keep
// is an integer of nanoseconds, tags an array of str.

const (
	msgpackFields       = 5
	msgpackTaggedFields = 6
)

type msgpackEncoder struct {
	w   appendWriter
	enc *msgpack.Encoder
}

type msgpackDecoder struct {
	r   bytes.Reader
	dec *msgpack.Decoder
}

var (
	msgpackEncoders = sync.Pool{New: func() any {
		e := new(msgpackEncoder)
		e.enc = msgpack.NewEncoder(&e.w)
		return e
	}}
	msgpackDecoders = sync.Pool{New: func() any {
		d := new(msgpackDecoder)
		d.dec = msgpack.NewDecoder(&d.r)
		return d
	}}
)

func appendMsgPack(dst []byte, e Entry) ([]byte, error) {
	me := msgpackEncoders.Get().(*msgpackEncoder)
	me.w.b = dst
	enc := me.enc
	// Writes to an appendWriter cannot fail, so neither can these.
	if len(e.Tags) > 0 {
		_ = enc.EncodeArrayLen(msgpackTaggedFields)
	} else {
		_ = enc.EncodeArrayLen(msgpackFields)
	}
	_ = enc.EncodeBytes(e.Value)
	for _, t := range [...]time.Time{e.Written, e.Stale, e.Expire} {
		if t.IsZero() {
			_ = enc.EncodeNil()
			continue
		}
		sec, nsec := stamp(t)
		_ = enc.EncodeArrayLen(2)
		_ = enc.EncodeInt(sec)
		_ = enc.EncodeInt(nsec)
	}
	_ = enc.EncodeInt(int64(e.Keep))
	if len(e.Tags) > 0 {
		_ = enc.EncodeArrayLen(len(e.Tags))
		for _, t := range e.Tags {
			_ = enc.EncodeString(t)
		}
	}
	dst = me.w.b
	me.w.b = nil
	msgpackEncoders.Put(me)
	return dst, nil
}

func decodeMsgPack(p []byte, owned bool) (Entry, error) {
	if e, ok := parseMsgPackFast(p, owned); ok {
		return e, nil
	}
	md := msgpackDecoders.Get().(*msgpackDecoder)
	md.r.Reset(p)
	md.dec.Reset(&md.r)
	e, err := md.decode(p, owned)
	md.r.Reset(nil)
	md.dec.Reset(&md.r)
	msgpackDecoders.Put(md)
	return e, err
}

func (md *msgpackDecoder) decode(p []byte, owned bool) (Entry, error) {
	var e Entry
	dec := md.dec
	n, err := dec.DecodeArrayLen()
	if err != nil {
		return Entry{}, err
	}
	if n != msgpackFields && n != msgpackTaggedFields {
		return Entry{}, fmt.Errorf("entry has %d fields, want %d or %d", n, msgpackFields, msgpackTaggedFields)
	}
	// The value is sliced out of p rather than read by the decoder, which
	// would allocate whatever length the bytes claim before reading them.
	size, err := dec.DecodeBytesLen()
	if err != nil {
		return Entry{}, fmt.Errorf("value: %w", err)
	}
	if size >= 0 {
		if size > md.r.Len() {
			return Entry{}, fmt.Errorf("value: %d bytes claimed, %d left: %w", size, md.r.Len(), io.ErrUnexpectedEOF)
		}
		start := len(p) - md.r.Len()
		v := p[start : start+size : start+size]
		if !owned {
			v = bytes.Clone(v)
		}
		e.Value = v
		if _, err := md.r.Seek(int64(size), io.SeekCurrent); err != nil {
			return Entry{}, err
		}
	}
	for _, t := range [...]*time.Time{&e.Written, &e.Stale, &e.Expire} {
		if *t, err = md.decodeTime(); err != nil {
			return Entry{}, err
		}
	}
	keep, err := dec.DecodeInt64()
	if err != nil {
		return Entry{}, fmt.Errorf("keep: %w", err)
	}
	e.Keep = time.Duration(keep)
	if n == msgpackTaggedFields {
		if e.Tags, err = md.decodeTags(p); err != nil {
			return Entry{}, fmt.Errorf("tags: %w", err)
		}
	}
	if md.r.Len() != 0 {
		return Entry{}, fmt.Errorf("%d trailing bytes", md.r.Len())
	}
	return e, nil
}

// decodeTags reads the array of tags, each sliced out of p so that a
// claimed length is checked against the bytes left before anything is
// allocated, and at most [MaxTags] of at most [MaxTagLen] bytes.
func (md *msgpackDecoder) decodeTags(p []byte) ([]string, error) {
	n, err := md.dec.DecodeArrayLen()
	if err != nil {
		return nil, err
	}
	if n < 0 || n > MaxTags || n > md.r.Len() {
		return nil, fmt.Errorf("%d tags claimed, %d bytes left, at most %d", n, md.r.Len(), MaxTags)
	}
	tags := make([]string, 0, n)
	for range n {
		c, err := md.dec.PeekCode()
		if err != nil {
			return nil, err
		}
		if !msgpcode.IsString(c) {
			return nil, fmt.Errorf("tag of code %#x, want a str", c)
		}
		size, err := md.dec.DecodeBytesLen()
		if err != nil {
			return nil, err
		}
		if size < 0 || size > MaxTagLen || size > md.r.Len() {
			return nil, fmt.Errorf("tag of %d bytes claimed, %d left, at most %d", size, md.r.Len(), MaxTagLen)
		}
		start := len(p) - md.r.Len()
		tags = append(tags, string(p[start:start+size]))
		if _, err := md.r.Seek(int64(size), io.SeekCurrent); err != nil {
			return nil, err
		}
	}
	return tags, nil
}

func (md *msgpackDecoder) decodeTime() (time.Time, error) {
	dec := md.dec
	c, err := dec.PeekCode()
	if err != nil {
		return time.Time{}, err
	}
	if c == msgpcode.Nil {
		return time.Time{}, dec.DecodeNil()
	}
	n, err := dec.DecodeArrayLen()
	if err != nil {
		return time.Time{}, err
	}
	if n != 2 {
		return time.Time{}, fmt.Errorf("time has %d fields, want 2", n)
	}
	sec, err := dec.DecodeInt64()
	if err != nil {
		return time.Time{}, err
	}
	nsec, err := dec.DecodeInt64()
	if err != nil {
		return time.Time{}, err
	}
	return unstamp(sec, nsec)
}
