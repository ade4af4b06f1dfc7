package disk

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/backendtest"
	"github.com/hitbox-go/hitbox/backend/memory"
	"github.com/hitbox-go/hitbox/composition"
)

// newBackend returns a Backend made from o, in a file of its own under
// t.TempDir() when o.Path is empty, closed by t.Cleanup.
func newBackend(t testing.TB, o Options) *Backend {
	t.Helper()
	if o.Path == "" {
		o.Path = filepath.Join(t.TempDir(), "cache.db")
	}
	b, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(context.Background()); err != nil && !errors.Is(err, backend.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return b
}

// writeRaw stores raw as the encoded entry under key, behind a record
// header without a deadline, as if the file held those bytes.
func writeRaw(t *testing.T, bk backend.Backend, key string, raw []byte) {
	t.Helper()
	b := bk.(*Backend)
	rec := append(make([]byte, recordHeader), raw...)
	copy(rec, u64(sortable(noDeadline)))
	if err := b.write(func(w *writer) error { return w.put([]byte(key), rec) }); err != nil {
		t.Fatalf("raw put: %v", err)
	}
}

// readRaw returns the encoded entry stored under key, without its record
// header.
func readRaw(t *testing.T, bk backend.Backend, key string) []byte {
	t.Helper()
	b := bk.(*Backend)
	var raw []byte
	err := b.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(entriesBucket).Get([]byte(key)); len(v) >= recordHeader {
			raw = bytes.Clone(v[recordHeader:])
		}
		return nil
	})
	if err != nil {
		t.Fatalf("raw get: %v", err)
	}
	return raw
}

func conformance(t *testing.T, base Options, maxValue int) {
	t.Helper()
	backendtest.Run(t, func(t *testing.T, now func() time.Time) backend.Backend {
		o := base
		o.Now = now
		return newBackend(t, o)
	}, backendtest.Options{WriteRaw: writeRaw, ReadRaw: readRaw, MaxValueSize: maxValue})
}

// TestConformance runs the conformance suite on the default codec
// (MessagePack), with the suite's largest values (16 MiB).
func TestConformance(t *testing.T) {
	t.Parallel()
	conformance(t, Options{}, 0)
}

// TestConformanceJSONZstd runs the suite with values encoded as compressed
// JSON, up to 4 MiB (JSON's base64 of 16 MiB is slow under the race
// detector).
func TestConformanceJSONZstd(t *testing.T) {
	t.Parallel()
	conformance(t, Options{Codec: backend.Codec{Format: backend.FormatJSON, Compression: backend.CompressionZstd}}, 4<<20)
}

// TestConformanceComposition runs the conformance suite on a memory L1 over
// a disk L2 under every read × write × refill policy combination.
func TestConformanceComposition(t *testing.T) {
	t.Parallel()
	reads := []composition.ReadPolicy{composition.ReadSequential, composition.ReadRace, composition.ReadParallel}
	writes := []composition.WritePolicy{composition.WriteOptimisticParallel, composition.WriteSequential, composition.WriteRace}
	refills := []composition.RefillPolicy{composition.RefillNever, composition.RefillAlways}
	for _, read := range reads {
		for _, write := range writes {
			for _, refill := range refills {
				o := composition.Options{Read: read, Write: write, Refill: refill}
				t.Run(read.String()+"/"+write.String()+"/"+refill.String(), func(t *testing.T) {
					t.Parallel()
					backendtest.Run(t, func(t *testing.T, now func() time.Time) backend.Backend {
						l1, err := memory.New(memory.Options{MaxBytes: 64 << 20, Now: now})
						if err != nil {
							t.Fatal(err)
						}
						l2 := newBackend(t, Options{Now: now})
						o := o
						o.Now = now
						c, err := composition.New(l1, l2, o)
						if err != nil {
							t.Fatal(err)
						}
						t.Cleanup(func() {
							if err := c.Close(context.Background()); err != nil {
								t.Errorf("composition Close = %v", err)
							}
							if err := l1.Close(context.Background()); err != nil {
								t.Errorf("memory Close = %v", err)
							}
						})
						return c
					}, backendtest.Options{MaxValueSize: 1 << 20})
				})
			}
		}
	}
}
