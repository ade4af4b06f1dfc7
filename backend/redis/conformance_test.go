package redis

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/backendtest"
	"github.com/hitbox-go/hitbox/internal/redistest"
)

// prefixes numbers the prefixes of the backends the tests make, so that
// backends sharing a server never share keys.
var prefixes atomic.Int64

// newBackend returns a Backend made from o with a prefix of its own, closed
// by t.Cleanup.
func newBackend(t testing.TB, o Options) *Backend {
	t.Helper()
	if o.Prefix == "" {
		o.Prefix = fmt.Sprintf("test%d:", prefixes.Add(1))
	}
	b, err := New(o)
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

// conformance runs the conformance suite on backends made from base, with
// values up to maxValue bytes (0: the suite's 16 MiB).
func conformance(t *testing.T, base Options, maxValue int) {
	t.Helper()
	// Generous: the 16 MiB values of the suite, under the race detector,
	// on a loaded machine.
	base.OpTimeout = 10 * time.Second
	backendtest.Run(t, func(t *testing.T, now func() time.Time) backend.Backend {
		o := base
		o.Now = now
		return newBackend(t, o)
	}, backendtest.Options{
		MaxValueSize: maxValue,
		WriteRaw: func(t *testing.T, b backend.Backend, key string, raw []byte) {
			t.Helper()
			rb := b.(*Backend)
			if err := rb.Client().Set(t.Context(), rb.prefix+key, raw, 0).Err(); err != nil {
				t.Fatalf("raw SET: %v", err)
			}
		},
		ReadRaw: func(t *testing.T, b backend.Backend, key string) []byte {
			t.Helper()
			rb := b.(*Backend)
			raw, err := rb.Client().Get(t.Context(), rb.prefix+key).Bytes()
			if err != nil {
				t.Fatalf("raw GET: %v", err)
			}
			return raw
		},
	})
}

func TestConformanceStandalone(t *testing.T) {
	t.Parallel()
	s := redistest.Start(t)
	conformance(t, Options{URL: s.URL()}, 4<<20)
}

// TestConformanceStandaloneCompressed stores the suite's largest values
// (16 MiB): compressed MessagePack keeps them quick under the race
// detector, where JSON's base64 of 16 MiB takes seconds; the JSON variants
// stop at 4 MiB.
func TestConformanceStandaloneCompressed(t *testing.T) {
	t.Parallel()
	s := redistest.Start(t)
	conformance(t, Options{URL: s.URL(), Channel: "inval", Codec: backend.Codec{Format: backend.FormatMsgPack, Compression: backend.CompressionZstd}}, 0)
}

func TestConformanceCluster(t *testing.T) {
	t.Parallel()
	c := redistest.StartCluster(t, 3)
	conformance(t, Options{Addrs: c.Addrs, Channel: "inval"}, 4<<20)
}

func TestConformanceSentinel(t *testing.T) {
	t.Parallel()
	s := redistest.StartSentinel(t)
	conformance(t, Options{MasterName: s.MasterName, SentinelAddrs: s.Addrs}, 4<<20)
}
