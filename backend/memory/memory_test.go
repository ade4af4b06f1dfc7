package memory

import (
	"context"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/backendtest"
)

func conformanceFactory(codec *backend.Codec) backendtest.Factory {
	return func(t *testing.T, now func() time.Time) backend.Backend {
		b, err := New(Options{MaxBytes: 128 << 20, Codec: codec, Now: now})
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		t.Cleanup(func() {
			if err := b.Close(context.Background()); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return b
	}
}

// TestConformance runs the backend conformance suite on a Backend that keeps
// entries as they are.
func TestConformance(t *testing.T) {
	t.Parallel()
	backendtest.Run(t, conformanceFactory(nil), backendtest.Options{})
}

// TestConformanceCodec runs the conformance suite on a Backend that stores
// entries as zstd-compressed JSON, including the corrupted-bytes cases.
func TestConformanceCodec(t *testing.T) {
	t.Parallel()
	codec := &backend.Codec{Format: backend.FormatJSON, Compression: backend.CompressionZstd}
	backendtest.Run(t, conformanceFactory(codec), backendtest.Options{
		WriteRaw: func(t *testing.T, b backend.Backend, key string, raw []byte) {
			t.Helper()
			b.(*Backend).WriteRaw(key, raw)
		},
		ReadRaw: func(t *testing.T, b backend.Backend, key string) []byte {
			t.Helper()
			return b.(*Backend).ReadRaw(key)
		},
	})
}
