package hitbox_test

import (
	"context"
	"testing"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/memory"
)

type benchValue struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// rawCodec stores strings as they are: the typed API's own overhead with no
// encoding cost.
type rawCodec struct{}

func (rawCodec) Marshal(v string) ([]byte, error)   { return []byte(v), nil }
func (rawCodec) Unmarshal(b []byte) (string, error) { return string(b), nil }

// BenchmarkTypedHit compares a typed GetOrFetch hit (served by the
// in-process layer by default; through the byte flow with the layer off)
// with a bare memory backend Get of the same key.
func BenchmarkTypedHit(b *testing.B) {
	mem, err := memory.New(memory.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer mem.Close()
	cache, err := hitbox.New(mem)
	if err != nil {
		b.Fatal(err)
	}
	defer cache.Shutdown(context.Background())
	ctx := context.Background()

	b.Run("memory-get", func(b *testing.B) {
		_ = mem.Set(ctx, "k", backend.Entry{Value: []byte(`{"id":1}`)})
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, ok, _ := mem.Get(ctx, "k"); !ok {
					b.Fatal("miss")
				}
			}
		})
	})
	b.Run("typed-raw", func(b *testing.B) {
		benchTyped(b, cache, hitbox.TypedOptions[string]{Codec: rawCodec{}, Namespace: "raw"}, "value")
	})
	b.Run("typed-json", func(b *testing.B) {
		benchTyped(b, cache, hitbox.TypedOptions[benchValue]{Namespace: "json"}, benchValue{1, "Ann", "ann@example.com"})
	})
	b.Run("typed-json-local-off", func(b *testing.B) {
		benchTyped(b, cache, hitbox.TypedOptions[benchValue]{Namespace: "off", Local: hitbox.Local[benchValue]{Off: true}},
			benchValue{1, "Ann", "ann@example.com"})
	})
}

// benchTyped measures parallel GetOrFetch hits of one key holding v.
func benchTyped[T any](b *testing.B, cache *hitbox.Cache, o hitbox.TypedOptions[T], v T) {
	ctx := context.Background()
	typed, err := hitbox.NewTyped(cache, o)
	if err != nil {
		b.Fatal(err)
	}
	load := func(context.Context) (T, error) { return v, nil }
	_, _, _ = typed.GetOrFetch(ctx, "1", load)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, res, _ := typed.GetOrFetch(ctx, "1", load); res.Status != hitbox.Hit {
				b.Fatal("not a hit")
			}
		}
	})
}
