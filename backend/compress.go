package backend

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Compression is how a [Codec] compresses the serialized entry. The zero
// Compression is unset; a [Codec] reads it as [CompressionNone].
type Compression int

const (
	// CompressionNone stores the serialized entry as it is (the config's
	// Disabled).
	CompressionNone Compression = iota + 1
	// CompressionGzip compresses with gzip; levels 1 (fastest) to 9
	// (smallest).
	CompressionGzip
	// CompressionZstd compresses with Zstandard; levels 1 to 22 as the zstd
	// command line knows them, mapped onto the encoder's four speeds
	// (1-2 fastest, 3-5 default, 6-9 better, 10-22 best).
	CompressionZstd
)

// String returns the config name of c ("Disabled", "Gzip", "Zstd") or
// "Compression(N)".
func (c Compression) String() string {
	switch c {
	case CompressionNone:
		return "Disabled"
	case CompressionGzip:
		return "Gzip"
	case CompressionZstd:
		return "Zstd"
	}
	return fmt.Sprintf("Compression(%d)", int(c))
}

func (c Compression) valid() bool { return c >= CompressionNone && c <= CompressionZstd }

// ParseCompression returns the Compression a config names,
// case-insensitively: Disabled, Gzip or Zstd.
func ParseCompression(s string) (Compression, error) {
	switch strings.ToLower(s) {
	case "disabled":
		return CompressionNone, nil
	case "gzip":
		return CompressionGzip, nil
	case "zstd":
		return CompressionZstd, nil
	}
	return 0, fmt.Errorf("backend: unknown compression %q (want Disabled, Gzip or Zstd)", s)
}

// Levels returns the range of c's levels, lo to hi: 1 to 9 for
// CompressionGzip, 1 to 22 for CompressionZstd, and 0, 0 for a
// Compression without levels. A [Codec]'s Level is one of them, or 0
// for the library's default.
func (c Compression) Levels() (lo, hi int) {
	switch c {
	case CompressionGzip:
		return gzip.BestSpeed, gzip.BestCompression
	case CompressionZstd:
		return 1, 22
	}
	return 0, 0
}

// checkLevel reports whether level (0: the library's default) suits c;
// a Compression without levels ignores it.
func (c Compression) checkLevel(level int) error {
	if lo, hi := c.Levels(); hi > 0 && level != 0 && (level < lo || level > hi) {
		return fmt.Errorf("%v level %d is out of range (want %d to %d, or 0 for the default)", c, level, lo, hi)
	}
	return nil
}

// compress appends src compressed with c at level to dst. The level has been
// checked.
func compress(c Compression, level int, dst, src []byte) ([]byte, error) {
	switch c {
	case CompressionGzip:
		return appendGzip(level, dst, src)
	case CompressionZstd:
		enc, err := zstdEncoder(level)
		if err != nil {
			return dst, err
		}
		return enc.EncodeAll(src, dst), nil
	}
	return dst, fmt.Errorf("backend: invalid compression %v", c)
}

// decompress returns src decompressed with c, failing once the output would
// exceed max bytes, before allocating for it.
func decompress(c Compression, src []byte, max int64) ([]byte, error) {
	switch c {
	case CompressionGzip:
		return gunzip(src, max)
	case CompressionZstd:
		return unzstd(src, max)
	}
	return nil, fmt.Errorf("invalid compression %v", c)
}

var errTooLarge = errors.New("decoded size over the limit")

// ---- zstd ----

// zstdMaxWindow lifts the decoder's window limit: memory is bounded instead
// by the frame's content size, checked against the codec's limit, and by the
// capacity of the output buffer (frames are single segments, whose window is
// their content).
const zstdMaxWindow = 1 << 41

// zstdEncoders holds one shared encoder per speed (indexed by
// zstd.EncoderLevel), built on first use. EncodeAll is safe for concurrent
// use and keeps its own pool of block encoders.
var zstdEncoders = [...]func() (*zstd.Encoder, error){
	zstd.SpeedFastest:           newZstdEncoder(zstd.SpeedFastest),
	zstd.SpeedDefault:           newZstdEncoder(zstd.SpeedDefault),
	zstd.SpeedBetterCompression: newZstdEncoder(zstd.SpeedBetterCompression),
	zstd.SpeedBestCompression:   newZstdEncoder(zstd.SpeedBestCompression),
}

func newZstdEncoder(l zstd.EncoderLevel) func() (*zstd.Encoder, error) {
	return sync.OnceValues(func() (*zstd.Encoder, error) {
		return zstd.NewWriter(nil,
			zstd.WithEncoderLevel(l),
			zstd.WithEncoderCRC(false),   // the codec checksums the whole record
			zstd.WithSingleSegment(true), // always write the content size
			zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)),
		)
	})
}

func zstdEncoder(level int) (*zstd.Encoder, error) {
	l := zstd.SpeedDefault
	if level > 0 {
		l = zstd.EncoderLevelFromZstd(level)
	}
	return zstdEncoders[l]()
}

// zstdDecoder is shared: DecodeAll is safe for concurrent use. It decodes at
// most cap(dst) bytes, which unzstd sets from the frame's content size.
var zstdDecoder = sync.OnceValues(func() (*zstd.Decoder, error) {
	return zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(runtime.GOMAXPROCS(0)),
		zstd.WithDecodeAllCapLimit(true),
		zstd.WithDecoderMaxWindow(zstdMaxWindow),
	)
})

func unzstd(src []byte, max int64) ([]byte, error) {
	var h zstd.Header
	if err := h.Decode(src); err != nil {
		return nil, fmt.Errorf("zstd: %w", err)
	}
	if !h.HasFCS {
		return nil, errors.New("zstd: frame without content size")
	}
	if h.FrameContentSize > uint64(max) {
		return nil, fmt.Errorf("zstd: %d bytes: %w", h.FrameContentSize, errTooLarge)
	}
	dec, err := zstdDecoder()
	if err != nil {
		return nil, err
	}
	out, err := dec.DecodeAll(src, make([]byte, 0, h.FrameContentSize))
	if err != nil {
		return nil, fmt.Errorf("zstd: %w", err)
	}
	if uint64(len(out)) != h.FrameContentSize {
		return nil, fmt.Errorf("zstd: %d bytes decoded, frame says %d", len(out), h.FrameContentSize)
	}
	return out, nil
}

// ---- gzip ----

type gzipWriter struct {
	w  appendWriter
	zw *gzip.Writer
}

type gzipReader struct {
	src bytes.Reader
	zr  gzip.Reader
}

// gzipWriters pools writers per level (index 0: the default level);
// gzipReaders pools readers.
var (
	gzipWriters [gzip.BestCompression + 1]sync.Pool
	gzipReaders = sync.Pool{New: func() any { return new(gzipReader) }}
)

func appendGzip(level int, dst, src []byte) ([]byte, error) {
	gw, _ := gzipWriters[level].Get().(*gzipWriter)
	if gw == nil {
		l := level
		if l == 0 {
			l = gzip.DefaultCompression
		}
		gw = new(gzipWriter)
		zw, err := gzip.NewWriterLevel(&gw.w, l)
		if err != nil {
			return dst, fmt.Errorf("backend: gzip: %w", err)
		}
		gw.zw = zw
	}
	gw.w.b = dst
	gw.zw.Reset(&gw.w)
	_, err := gw.zw.Write(src)
	if err == nil {
		err = gw.zw.Close()
	}
	dst = gw.w.b
	gw.w.b = nil
	gzipWriters[level].Put(gw)
	if err != nil {
		return dst, fmt.Errorf("backend: gzip: %w", err)
	}
	return dst, nil
}

// maxDeflateRatio bounds how much deflate can expand its input, to size the
// output buffer from the trailer's length without trusting it.
const maxDeflateRatio = 1032

func gunzip(src []byte, max int64) ([]byte, error) {
	gr := gzipReaders.Get().(*gzipReader)
	defer func() {
		gr.src.Reset(nil)
		gzipReaders.Put(gr)
	}()
	gr.src.Reset(src)
	if err := gr.zr.Reset(&gr.src); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	gr.zr.Multistream(false)

	size := int64(512)
	if len(src) >= 4 {
		// The trailer holds the length modulo 2^32: a hint only.
		size = int64(binary.LittleEndian.Uint32(src[len(src)-4:]))
	}
	size = min(size, max, int64(len(src))*maxDeflateRatio) + 1
	out := make([]byte, 0, size)
	for {
		if len(out) == cap(out) {
			out = append(out, 0)[:len(out)]
		}
		n, err := gr.zr.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		if int64(len(out)) > max {
			return nil, fmt.Errorf("gzip: %w", errTooLarge)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
	}
	if gr.src.Len() != 0 {
		return nil, fmt.Errorf("gzip: %d trailing bytes", gr.src.Len())
	}
	return out, nil
}
