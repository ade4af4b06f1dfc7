package backend

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

func TestParseCompression(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    Compression
		wantErr bool
	}{
		{name: "disabled", in: "Disabled", want: CompressionNone},
		{name: "disabled lower", in: "disabled", want: CompressionNone},
		{name: "gzip", in: "Gzip", want: CompressionGzip},
		{name: "gzip upper", in: "GZIP", want: CompressionGzip},
		{name: "zstd", in: "Zstd", want: CompressionZstd},
		{name: "empty", in: "", wantErr: true},
		{name: "unknown", in: "Brotli", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseCompression(tt.in)
			if tt.wantErr {
				if err == nil || !strings.HasPrefix(err.Error(), "backend: ") {
					t.Fatalf("ParseCompression(%q) = %v, %v; want a backend: error", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseCompression(%q) = %v, %v; want %v, nil", tt.in, got, err, tt.want)
			}
			if back, err := ParseCompression(got.String()); err != nil || back != got {
				t.Fatalf("ParseCompression(%q.String()) = %v, %v; want %v", got, back, err, got)
			}
		})
	}
}

func TestCompressionString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		c    Compression
		want string
	}{
		{CompressionNone, "Disabled"},
		{CompressionGzip, "Gzip"},
		{CompressionZstd, "Zstd"},
		{0, "Compression(0)"},
		{7, "Compression(7)"},
	}
	for _, tt := range tests {
		if got := tt.c.String(); got != tt.want {
			t.Errorf("Compression(%d).String() = %q, want %q", int(tt.c), got, tt.want)
		}
	}
}

// TestCompressionLevels: Levels gives each compression's range, and a
// level out of it is Validate's error saying the range, under one prefix.
func TestCompressionLevels(t *testing.T) {
	t.Parallel()
	for c, want := range map[Compression][2]int{CompressionNone: {0, 0}, CompressionGzip: {1, 9}, CompressionZstd: {1, 22}, 0: {0, 0}} {
		if lo, hi := c.Levels(); lo != want[0] || hi != want[1] {
			t.Errorf("%v.Levels() = %d, %d; want %d, %d", c, lo, hi, want[0], want[1])
		}
	}
	err := Codec{Compression: CompressionGzip, Level: 10}.Validate()
	if want := "backend: invalid codec: Gzip level 10 is out of range (want 1 to 9, or 0 for the default)"; err == nil || err.Error() != want {
		t.Errorf("Validate() = %v; want %q", err, want)
	}
}

func TestCodecValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		c       Codec
		wantErr bool
	}{
		{name: "zero", c: Codec{}},
		{name: "gzip levels", c: Codec{Compression: CompressionGzip, Level: 9}},
		{name: "zstd level 22", c: Codec{Compression: CompressionZstd, Level: 22}},
		{name: "level ignored without compression", c: Codec{Level: 99}},
		{name: "gzip level 10", c: Codec{Compression: CompressionGzip, Level: 10}, wantErr: true},
		{name: "gzip negative", c: Codec{Compression: CompressionGzip, Level: -1}, wantErr: true},
		{name: "zstd level 23", c: Codec{Compression: CompressionZstd, Level: 23}, wantErr: true},
		{name: "unknown format", c: Codec{Format: 4}, wantErr: true},
		{name: "unknown compression", c: Codec{Compression: -1}, wantErr: true},
		{name: "negative max", c: Codec{MaxDecodedSize: -1}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.c.Validate()
			if (err != nil) != tt.wantErr {
				t.Fatalf("%+v.Validate() = %v, want error: %v", tt.c, err, tt.wantErr)
			}
			dst := []byte("x")
			out, encErr := tt.c.Encode(dst, Entry{Value: []byte("v")})
			if (encErr != nil) != tt.wantErr {
				t.Fatalf("%+v.Encode error = %v, want error: %v", tt.c, encErr, tt.wantErr)
			}
			if encErr != nil && string(out) != "x" {
				t.Fatalf("failed Encode returned %q, want dst unchanged", out)
			}
		})
	}
}

// TestDecompressionBomb checks that Decode refuses payloads that decompress
// past MaxDecodedSize, whether or not the compressed data tells its size.
func TestDecompressionBomb(t *testing.T) {
	t.Parallel()
	const limit = 1 << 16
	zeros := make([]byte, 4<<20)

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(zeros); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	// The trailer's size is only a hint: lie about it.
	gzLying := bytes.Clone(gz.Bytes())
	copy(gzLying[len(gzLying)-4:], []byte{8, 0, 0, 0})

	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	zs := enc.EncodeAll(zeros, nil)
	// A streamed frame carries no content size.
	var streamed bytes.Buffer
	sw, err := zstd.NewWriter(&streamed, zstd.WithEncoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sw.Write(zeros[:100]); err != nil {
		t.Fatal(err)
	}
	if err := sw.Close(); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		comp Compression
		body []byte
	}{
		{name: "gzip", comp: CompressionGzip, body: gz.Bytes()},
		{name: "gzip lying trailer", comp: CompressionGzip, body: gzLying},
		{name: "zstd", comp: CompressionZstd, body: zs},
		{name: "zstd without content size", comp: CompressionZstd, body: streamed.Bytes()},
		{name: "uncompressed", comp: CompressionNone, body: zeros[:limit+1]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := seal(FormatMsgPack, tt.comp, tt.body)
			_, err := Codec{MaxDecodedSize: limit}.Decode(b)
			if !errors.Is(err, ErrDecode) {
				t.Fatalf("Decode(%s bomb) error = %v, want ErrDecode", tt.name, err)
			}
		})
	}
}
