package httpcache

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"time"
	"unsafe"
)

// The cached form of a response, version 1:
//
//	magic    "hc" and the version byte 1
//	status   uvarint, 100 to 999
//	written  one byte 0 (no time) or 1 followed by the varint Unix time in
//	         nanoseconds
//	headers  uvarint count, then per header, in strictly increasing key
//	         order: the key (uvarint length, bytes), a uvarint count of
//	         values, each value (uvarint length, bytes)
//	body     uvarint length, bytes; nothing may follow
//
// Every varint is minimal, so each accepted byte string is the encoding of
// exactly one response and re-encodes to itself.
const (
	codecMagic   = "hc"
	codecVersion = 1
)

// errCorrupt is wrapped by the errors of parse.
var errCorrupt = errors.New("httpcache: cannot decode cached response")

// hopByHop lists the headers that concern one connection only (RFC 9110
// §7.6.1, plus the non-standard Proxy-Connection), in canonical form.
var hopByHop = [...]string{
	"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
	"Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// Our status headers, and Age: never stored, set on every answer.
const (
	hdrXCacheStatus = "X-Cache-Status"
	hdrCacheStatus  = "Cache-Status"
	hdrAge          = "Age"
)

// storedKeys returns the keys of h that belong in the cached form, sorted:
// all but the hop-by-hop headers (and those Connection names), trailer
// declarations, our status headers and Age.
func storedKeys(h http.Header) []string {
	var conn []string
	for _, v := range h["Connection"] {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				conn = append(conn, textproto.CanonicalMIMEHeaderKey(f))
			}
		}
	}
	keys := make([]string, 0, len(h))
	for k := range h {
		if k == "" || strings.HasPrefix(k, http.TrailerPrefix) {
			continue
		}
		ck := textproto.CanonicalMIMEHeaderKey(k)
		switch {
		case slices.Contains(hopByHop[:], ck), slices.Contains(conn, ck),
			ck == hdrXCacheStatus, ck == hdrCacheStatus, ck == hdrAge:
			continue
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// encode returns the cached form of a response.
func encode(status int, h http.Header, body []byte, written time.Time) []byte {
	keys := storedKeys(h)
	b := make([]byte, 0, headSize(h, keys)+len(body))
	b = appendHead(b, status, h, keys, len(body), written)
	return append(b, body...)
}

// encodeInPlace returns the cached form of a response whose body is
// frame[room:], writing the head into the room in front of the body when
// it fits (the result then shares frame) and copying otherwise.
func encodeInPlace(status int, h http.Header, frame []byte, room int, written time.Time) []byte {
	body := frame[room:]
	keys := storedKeys(h)
	n := headSize(h, keys)
	if n > room {
		return encode(status, h, body, written)
	}
	var small [512]byte
	head := appendHead(small[:0], status, h, keys, len(body), written)
	start := room - len(head)
	copy(frame[start:], head)
	return frame[start:]
}

// headSize bounds the length of a cached form's head (all but the body).
func headSize(h http.Header, keys []string) int {
	n := len(codecMagic) + 1 + binary.MaxVarintLen64*2 + 1 + binary.MaxVarintLen64
	for _, k := range keys {
		n += 2*binary.MaxVarintLen64 + len(k)
		for _, v := range h[k] {
			n += binary.MaxVarintLen64 + len(v)
		}
	}
	return n + binary.MaxVarintLen64
}

// appendHead appends the cached form's head of a response with a body of
// bodyLen bytes: everything but the body itself.
func appendHead(b []byte, status int, h http.Header, keys []string, bodyLen int, written time.Time) []byte {
	b = append(b, codecMagic...)
	b = append(b, codecVersion)
	b = binary.AppendUvarint(b, uint64(status))
	if written.IsZero() {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = binary.AppendVarint(b, written.UnixNano())
	}
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = appendBytes(b, k)
		vs := h[k]
		b = binary.AppendUvarint(b, uint64(len(vs)))
		for _, v := range vs {
			b = appendBytes(b, v)
		}
	}
	return binary.AppendUvarint(b, uint64(bodyLen))
}

func appendBytes(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// view is a parsed and validated cached response. Its header section is
// still raw: fill copies it into a header map. body aliases the parsed
// bytes (read-only).
type view struct {
	status  int
	written time.Time
	hdr     []byte // the header entries
	nkeys   int
	nvalues int
	body    []byte
}

// parse validates b as a cached response without allocating.
func parse(b []byte) (view, error) {
	var v view
	if len(b) < len(codecMagic)+1 || string(b[:len(codecMagic)]) != codecMagic {
		return v, fmt.Errorf("%w: bad magic", errCorrupt)
	}
	if b[len(codecMagic)] != codecVersion {
		return v, fmt.Errorf("%w: unknown version %d", errCorrupt, b[len(codecMagic)])
	}
	d := decoder{b: b[len(codecMagic)+1:]}
	status := d.uvarint()
	if d.err == nil && (status < 100 || status > 999) {
		return v, fmt.Errorf("%w: bad status %d", errCorrupt, status)
	}
	v.status = int(status)
	switch flag := d.byte(); {
	case d.err != nil:
	case flag == 1:
		v.written = time.Unix(0, d.varint())
	case flag != 0:
		d.fail("bad time flag")
	}
	nkeys := d.count(2)
	start := d.off
	var prev []byte
	for i := uint64(0); i < nkeys && d.err == nil; i++ {
		k := d.bytes()
		if d.err == nil && (len(k) == 0 || (i > 0 && string(k) <= string(prev))) {
			d.fail("header keys out of order")
		}
		prev = k
		nv := d.count(1)
		for j := uint64(0); j < nv && d.err == nil; j++ {
			d.bytes()
		}
		v.nvalues += int(nv)
	}
	v.hdr = d.b[start:d.off]
	v.nkeys = int(nkeys)
	v.body = d.bytes()
	if d.err == nil && d.off != len(d.b) {
		d.fail("trailing bytes")
	}
	if d.err != nil {
		return view{}, d.err
	}
	return v, nil
}

// fill sets the view's headers in dst, replacing values dst has under the
// same keys, and returns extra spare strings for the caller's own headers.
// It allocates one slice for every value. The keys and values are
// substrings of the parsed bytes, not copies: cached values are read-only
// and shared (the contract of backend.Entry), so they never change.
func (v *view) fill(dst http.Header, extra int) []string {
	s := unsafe.String(unsafe.SliceData(v.hdr), len(v.hdr))
	vals := make([]string, v.nvalues+extra)
	d := decoder{b: v.hdr} // already validated
	for range v.nkeys {
		k := d.str(s)
		nv := int(d.uvarint())
		if nv == 0 {
			dst[k] = nil
			continue
		}
		vs := vals[:nv:nv]
		vals = vals[nv:]
		for j := range vs {
			vs[j] = d.str(s)
		}
		dst[k] = vs
	}
	return vals
}

// decoder reads the codec's fields; the first error sticks.
type decoder struct {
	b   []byte
	off int
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s at byte %d", errCorrupt, what, d.off)
	}
}

func (d *decoder) byte() byte {
	if d.err != nil || d.off >= len(d.b) {
		d.fail("truncated")
		return 0
	}
	c := d.b[d.off]
	d.off++
	return c
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	if d.off < len(d.b) && d.b[d.off] < 0x80 {
		// One byte: most lengths and counts.
		x := d.b[d.off]
		d.off++
		return uint64(x)
	}
	x, n := binary.Uvarint(d.b[d.off:])
	if !d.skipVarint(n) {
		return 0
	}
	return x
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	x, n := binary.Varint(d.b[d.off:])
	if !d.skipVarint(n) {
		return 0
	}
	return x
}

// skipVarint moves past a varint of n bytes as binary.Uvarint or
// binary.Varint measured it, and reports false (failing the decoder) for
// a truncated, overflowing or overlong one.
func (d *decoder) skipVarint(n int) bool {
	if n <= 0 || (n > 1 && d.b[d.off+n-1] == 0) {
		d.fail("bad varint")
		return false
	}
	d.off += n
	return true
}

// count reads a count of items each at least min bytes long, rejecting
// counts the remaining bytes cannot hold.
func (d *decoder) count(min int) uint64 {
	n := d.uvarint()
	if d.err == nil && n > uint64((len(d.b)-d.off)/min) {
		d.fail("count too large")
		return 0
	}
	return n
}

// bytes reads a length-prefixed byte string (aliasing d.b).
func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)-d.off) {
		d.fail("truncated")
		return nil
	}
	b := d.b[d.off : d.off+int(n)]
	d.off += int(n)
	return b
}

// str reads a length-prefixed string of validated input as a substring of
// s, which holds the same bytes as d.b.
func (d *decoder) str(s string) string {
	n := int(d.uvarint())
	r := s[d.off : d.off+n]
	d.off += n
	return r
}

// decode parses b into a full response with its own header map (tests,
// Transport).
func decode(b []byte) (response, error) {
	v, err := parse(b)
	if err != nil {
		return response{}, err
	}
	h := make(http.Header, v.nkeys)
	v.fill(h, 0)
	return response{status: v.status, header: h, body: v.body, written: v.written}, nil
}

// response is a complete response, recorded or decoded.
type response struct {
	status  int
	header  http.Header
	body    []byte
	written time.Time
}
