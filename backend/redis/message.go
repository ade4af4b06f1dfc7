package redis

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/hitbox-go/hitbox/backend"
)

// op is what an invalidation message announces.
type op byte

const (
	// opKeys: the keys were overwritten or deleted.
	opKeys op = iota + 1
	// opPurge: every key starting with the prefix was deleted.
	opPurge
	// opTags: the tags were invalidated at a time.
	opTags
)

// The invalidation messages published on [Options.Channel]:
//
//	"hbi" | version (1) | op (1) | uvarint len(id) | id | body
//
// where the body of opKeys is a uvarint count followed by that many
// uvarint-length-prefixed keys, the body of opPurge is the
// uvarint-length-prefixed prefix, and the body of opTags is a varint of the
// invalidation time in Unix nanoseconds, then a uvarint count followed by
// that many uvarint-length-prefixed tags. Keys and tags are binary: the
// encoding never escapes them. A subscriber that predates opTags counts
// such a message as malformed and ignores it.
const (
	msgMagic   = "hbi"
	msgVersion = 1
)

// messageHead starts an announcement of op: a buffer holding the magic,
// the version, op and the instance ID, with room for varints more
// varints and for strs, each with its length.
func (b *Backend) messageHead(o op, varints int, strs []string) []byte {
	n := len(msgMagic) + 2 + (1+varints)*binary.MaxVarintLen64 + len(b.instanceID)
	for _, s := range strs {
		n += binary.MaxVarintLen64 + len(s)
	}
	buf := make([]byte, 0, n)
	buf = append(buf, msgMagic...)
	buf = append(buf, msgVersion, byte(o))
	return appendString(buf, b.instanceID)
}

// message encodes the announcement that this Backend applied op to keys (or
// purged the prefix keys[0], for opPurge).
func (b *Backend) message(o op, keys ...string) string {
	buf := b.messageHead(o, 1, keys)
	if o == opKeys {
		buf = binary.AppendUvarint(buf, uint64(len(keys)))
	}
	for _, k := range keys {
		buf = appendString(buf, k)
	}
	return string(buf)
}

// tagsMessage encodes the announcement that this Backend invalidated tags
// at at.
func (b *Backend) tagsMessage(at time.Time, tags []string) string {
	buf := b.messageHead(opTags, 2, tags)
	buf = binary.AppendVarint(buf, backend.MarkNano(at))
	buf = binary.AppendUvarint(buf, uint64(len(tags)))
	for _, t := range tags {
		buf = appendString(buf, t)
	}
	return string(buf)
}

func appendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

// notice is a decoded invalidation message.
type notice struct {
	from   string
	op     op
	keys   []string // opKeys, opTags (the tags)
	prefix string   // opPurge
	at     int64    // opTags: Unix nanoseconds
}

var errMalformed = errors.New("malformed invalidation message")

// parseMessage decodes an invalidation message; foreign or damaged payloads
// give an error wrapping errMalformed, never a panic.
func parseMessage(s string) (notice, error) {
	if len(s) < len(msgMagic)+2 || s[:len(msgMagic)] != msgMagic {
		return notice{}, fmt.Errorf("%w: bad magic", errMalformed)
	}
	if s[len(msgMagic)] != msgVersion {
		return notice{}, fmt.Errorf("%w: version %d", errMalformed, s[len(msgMagic)])
	}
	n := notice{op: op(s[len(msgMagic)+1])}
	r := reader{s: s[len(msgMagic)+2:]}
	n.from = r.str()
	switch n.op {
	case opKeys, opTags:
		if n.op == opTags {
			n.at = r.varint()
		}
		count := r.uvarint()
		// Each key takes at least one byte: a count larger than what is
		// left is a lie.
		if count > uint64(len(r.s)) {
			return notice{}, fmt.Errorf("%w: %d keys in %d bytes", errMalformed, count, len(r.s))
		}
		n.keys = make([]string, 0, count)
		for range count {
			n.keys = append(n.keys, r.str())
		}
	case opPurge:
		n.prefix = r.str()
	default:
		return notice{}, fmt.Errorf("%w: unknown op %d", errMalformed, n.op)
	}
	if r.err != nil {
		return notice{}, r.err
	}
	if len(r.s) != 0 {
		return notice{}, fmt.Errorf("%w: %d trailing bytes", errMalformed, len(r.s))
	}
	return n, nil
}

// reader reads uvarints and length-prefixed strings, remembering the first
// error.
type reader struct {
	s   string
	err error
}

func (r *reader) uvarint() uint64 { return readVarint(r, binary.Uvarint) }

func (r *reader) varint() int64 { return readVarint(r, binary.Varint) }

// readVarint reads one number with decode (binary.Uvarint or Varint).
func readVarint[T uint64 | int64](r *reader, decode func([]byte) (T, int)) T {
	if r.err != nil {
		return 0
	}
	v, n := decode([]byte(r.s[:min(len(r.s), binary.MaxVarintLen64)]))
	if n <= 0 {
		r.err = fmt.Errorf("%w: bad varint", errMalformed)
		return 0
	}
	r.s = r.s[n:]
	return v
}

func (r *reader) str() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.s)) {
		r.err = fmt.Errorf("%w: string of %d bytes in %d", errMalformed, n, len(r.s))
		return ""
	}
	v := r.s[:n]
	r.s = r.s[n:]
	return v
}
