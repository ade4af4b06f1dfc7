package backend

import (
	"bytes"
	"encoding/binary"
	"math"
	"time"
)

// MessagePack codes of the layout appendMsgPack writes.
const (
	mpNil       = 0xc0
	mpArray2    = 0x92
	mpArray5    = 0x90 | msgpackFields
	mpArray6    = 0x90 | msgpackTaggedFields
	mpFixArray  = 0x90
	mpArray16   = 0xdc
	mpFixStr    = 0xa0
	mpStr8      = 0xd9
	mpStr16     = 0xda
	mpBin8      = 0xc4
	mpBin16     = 0xc5
	mpBin32     = 0xc6
	mpUint8     = 0xcc
	mpInt8      = 0xd0
	mpInt64     = 0xd3
	mpNegFixMin = 0xe0
)

// parseMsgPackFast reads the layout appendMsgPack writes (a 5-array of bin
// or nil, three nil-or-[sec, nsec] times and an integer, or a 6-array with
// the tags last, a fixarray or array16 of fixstr, str8 or str16) without the
// msgpack decoder, which costs several interface calls per field. It
// reports false for anything else, which then goes through the decoder:
// the fast path accepts a subset of what the decoder accepts and reads it
// the same way. When owned is false the value is copied out of p.
func parseMsgPackFast(p []byte, owned bool) (Entry, bool) {
	var e Entry
	if len(p) < 2 || (p[0] != mpArray5 && p[0] != mpArray6) {
		return e, false
	}
	tagged := p[0] == mpArray6
	p = p[1:]
	if p[0] == mpNil {
		p = p[1:]
	} else {
		var n, hdr int
		switch {
		case p[0] == mpBin8 && len(p) >= 2:
			n, hdr = int(p[1]), 2
		case p[0] == mpBin16 && len(p) >= 3:
			n, hdr = int(binary.BigEndian.Uint16(p[1:])), 3
		case p[0] == mpBin32 && len(p) >= 5:
			n, hdr = int(binary.BigEndian.Uint32(p[1:])), 5
		default:
			return e, false
		}
		if n > len(p)-hdr {
			return e, false
		}
		v := p[hdr : hdr+n : hdr+n]
		if !owned {
			v = bytes.Clone(v)
		}
		e.Value = v
		p = p[hdr+n:]
	}
	for _, t := range [...]*time.Time{&e.Written, &e.Stale, &e.Expire} {
		if len(p) == 0 {
			return e, false
		}
		if p[0] == mpNil {
			p = p[1:]
			continue
		}
		if p[0] != mpArray2 {
			return e, false
		}
		sec, rest, ok := fastInt(p[1:])
		if !ok {
			return e, false
		}
		nsec, rest, ok := fastInt(rest)
		if !ok {
			return e, false
		}
		tm, err := unstamp(sec, nsec)
		if err != nil {
			return e, false
		}
		*t, p = tm, rest
	}
	keep, rest, ok := fastInt(p)
	if !ok {
		return e, false
	}
	e.Keep = time.Duration(keep)
	if tagged {
		if e.Tags, rest, ok = fastTags(rest); !ok {
			return e, false
		}
	}
	return e, len(rest) == 0
}

// fastTags reads the array of tags appendMsgPack writes: a fixarray or an
// array16 of at most MaxTags strings, each a fixstr, str8 or str16 of at
// most MaxTagLen bytes.
func fastTags(p []byte) ([]string, []byte, bool) {
	if len(p) == 0 {
		return nil, nil, false
	}
	var n int
	switch {
	case p[0]&0xf0 == mpFixArray:
		n, p = int(p[0]&0x0f), p[1:]
	case p[0] == mpArray16 && len(p) >= 3:
		n, p = int(binary.BigEndian.Uint16(p[1:])), p[3:]
	default:
		return nil, nil, false
	}
	if n > MaxTags || n > len(p) {
		return nil, nil, false
	}
	tags := make([]string, 0, n)
	for range n {
		if len(p) == 0 {
			return nil, nil, false
		}
		var size, hdr int
		switch c := p[0]; {
		case c&0xe0 == mpFixStr:
			size, hdr = int(c&0x1f), 1
		case c == mpStr8 && len(p) >= 2:
			size, hdr = int(p[1]), 2
		case c == mpStr16 && len(p) >= 3:
			size, hdr = int(binary.BigEndian.Uint16(p[1:])), 3
		default:
			return nil, nil, false
		}
		if size > MaxTagLen || size > len(p)-hdr {
			return nil, nil, false
		}
		tags = append(tags, string(p[hdr:hdr+size]))
		p = p[hdr+size:]
	}
	return tags, p, true
}

// fastInt reads a MessagePack integer that fits an int64 from the start of
// p: a fixint, or uint8 to uint64 (0xcc-0xcf) and int8 to int64
// (0xd0-0xd3), whose sizes are 1, 2, 4 and 8 bytes in each group.
func fastInt(p []byte) (int64, []byte, bool) {
	if len(p) == 0 {
		return 0, nil, false
	}
	c := p[0]
	switch {
	case c <= 0x7f:
		return int64(c), p[1:], true
	case c >= mpNegFixMin:
		return int64(int8(c)), p[1:], true
	case c < mpUint8 || c > mpInt64:
		return 0, nil, false
	}
	size := 1 << ((c - mpUint8) & 3)
	if len(p) < 1+size {
		return 0, nil, false
	}
	b, rest := p[1:1+size], p[1+size:]
	var u uint64
	switch size {
	case 1:
		u = uint64(b[0])
	case 2:
		u = uint64(binary.BigEndian.Uint16(b))
	case 4:
		u = uint64(binary.BigEndian.Uint32(b))
	default:
		u = binary.BigEndian.Uint64(b)
	}
	if c < mpInt8 { // unsigned
		if u > math.MaxInt64 {
			return 0, nil, false
		}
		return int64(u), rest, true
	}
	shift := 64 - 8*size // sign-extend
	return int64(u<<shift) >> shift, rest, true
}
