package backend

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"sync"
)

// Codec turns an [Entry] into the bytes a store keeps and back: a [Format],
// then a [Compression], behind a small versioned header. Each backend (and
// each layer of a composition) has its own Codec.
//
// The zero Codec is usable: JSON, no compression, default limits. A Codec is
// a plain value and safe for concurrent use; its encoders and decoders are
// pooled, so Encode and Decode are cheap to call often.
//
// # Stored bytes
//
//	"hb" | version (1) | format (1) | compression (1) | CRC-32C (4, little endian) | body
//
// The body is the entry serialized in the format, then compressed. The
// checksum (Castagnoli) covers the first five header bytes and the body, so
// that corrupted bytes are detected whatever the format. Decode takes the
// format and compression from the header, not from the Codec, so bytes
// written under other settings still decode; only MaxDecodedSize applies.
type Codec struct {
	// Format serializes the entry (zero: FormatJSON).
	Format Format
	// Compression compresses the serialized entry (zero: CompressionNone).
	Compression Compression
	// Level is the compression level; 0 means the library's default (gzip
	// 6, zstd 3); [Compression.Levels] gives the ranges. It is ignored
	// without compression.
	Level int
	// MaxDecodedSize caps the serialized (decompressed) size Decode accepts,
	// which bounds the memory a decompression bomb can take; 0 means 1 GiB.
	MaxDecodedSize int64
}

// DefaultMaxDecodedSize is the limit Decode applies when
// [Codec.MaxDecodedSize] is zero.
const DefaultMaxDecodedSize = 1 << 30

const (
	codecMagic0  = 'h'
	codecMagic1  = 'b'
	codecVersion = 1
	// headerSize is magic, version, format, compression and the checksum.
	headerSize = 9
	// checkedHeader is the part of the header the checksum covers.
	checkedHeader = 5
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

func (c Codec) format() Format {
	return cmp.Or(c.Format, FormatJSON)
}

func (c Codec) compression() Compression {
	return cmp.Or(c.Compression, CompressionNone)
}

func (c Codec) maxDecodedSize() int64 {
	if c.MaxDecodedSize <= 0 {
		return DefaultMaxDecodedSize
	}
	return c.MaxDecodedSize
}

// Validate reports an unknown format or compression, a level out of the
// compression's range, or a negative MaxDecodedSize.
func (c Codec) Validate() error {
	if f := c.format(); !f.valid() {
		return fmt.Errorf("backend: invalid codec: unknown format %v", f)
	}
	comp := c.compression()
	if !comp.valid() {
		return fmt.Errorf("backend: invalid codec: unknown compression %v", comp)
	}
	if err := comp.checkLevel(c.Level); err != nil {
		return fmt.Errorf("backend: invalid codec: %w", err)
	}
	if c.MaxDecodedSize < 0 {
		return fmt.Errorf("backend: invalid codec: negative MaxDecodedSize %d", c.MaxDecodedSize)
	}
	return nil
}

// scratch pools the buffers that hold a serialized entry before it is
// compressed. Buffers above maxScratch are left to the garbage collector.
var scratch sync.Pool

const maxScratch = 1 << 20

// Encode appends the stored form of e to dst and returns the extended
// slice. It fails for an invalid Codec (see [Codec.Validate]) and for an
// entry the format cannot represent (JSON holds years 0 to 9999 only); then
// dst is returned unchanged in length.
func (c Codec) Encode(dst []byte, e Entry) ([]byte, error) {
	if err := c.Validate(); err != nil {
		return dst, err
	}
	f, comp := c.format(), c.compression()
	start := len(dst)
	dst = append(dst, codecMagic0, codecMagic1, codecVersion, byte(f), byte(comp), 0, 0, 0, 0)
	var err error
	if comp == CompressionNone {
		dst, err = appendPayload(f, dst, e)
	} else {
		buf, _ := scratch.Get().(*[]byte)
		if buf == nil {
			buf = new([]byte)
		}
		*buf, err = appendPayload(f, (*buf)[:0], e)
		if err == nil {
			dst, err = compress(comp, c.Level, dst, *buf)
		}
		if cap(*buf) <= maxScratch {
			scratch.Put(buf)
		}
	}
	if err != nil {
		return dst[:start], err
	}
	rec := dst[start:]
	sum := crc32.Update(crc32.Checksum(rec[:checkedHeader], crcTable), crcTable, rec[headerSize:])
	binary.LittleEndian.PutUint32(rec[checkedHeader:headerSize], sum)
	return dst, nil
}

// Decode parses bytes written by Encode under any Codec settings. Foreign,
// truncated, corrupted or oversized bytes (over MaxDecodedSize once
// decompressed), and bytes from an unknown version, give an error wrapping
// [ErrDecode]; Decode never panics on bad input.
//
// The returned Value never shares memory with b. Times come back in UTC; a
// nil Value comes back nil and an empty one empty.
func (c Codec) Decode(b []byte) (Entry, error) {
	e, err := c.decode(b)
	if err != nil {
		return Entry{}, fmt.Errorf("%w: %w", ErrDecode, err)
	}
	return e, nil
}

func (c Codec) decode(b []byte) (Entry, error) {
	if len(b) < headerSize {
		return Entry{}, fmt.Errorf("%d bytes, shorter than the header", len(b))
	}
	if b[0] != codecMagic0 || b[1] != codecMagic1 {
		return Entry{}, errors.New("not a hitbox entry (bad magic)")
	}
	if b[2] != codecVersion {
		return Entry{}, fmt.Errorf("unsupported version %d", b[2])
	}
	f, comp := Format(b[3]), Compression(b[4])
	if !f.valid() {
		return Entry{}, fmt.Errorf("unknown format %d", b[3])
	}
	if !comp.valid() {
		return Entry{}, fmt.Errorf("unknown compression %d", b[4])
	}
	body := b[headerSize:]
	sum := crc32.Update(crc32.Checksum(b[:checkedHeader], crcTable), crcTable, body)
	if sum != binary.LittleEndian.Uint32(b[checkedHeader:headerSize]) {
		return Entry{}, errors.New("checksum mismatch")
	}
	max := c.maxDecodedSize()
	payload, owned := body, false
	if comp != CompressionNone {
		var err error
		if payload, err = decompress(comp, body, max); err != nil {
			return Entry{}, err
		}
		owned = true
	} else if int64(len(body)) > max {
		return Entry{}, fmt.Errorf("%d bytes: %w", len(body), errTooLarge)
	}
	e, err := decodePayload(f, payload, owned)
	if err != nil {
		return Entry{}, fmt.Errorf("%v: %w", f, err)
	}
	return e, nil
}
