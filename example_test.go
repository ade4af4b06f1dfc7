package hitbox_test

import (
	"context"
	"fmt"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend/memory"
)

// The typed cache-aside API: the first call asks the loader, the second is
// answered from the cache.
func ExampleTyped() {
	mem, _ := memory.New(memory.Options{MaxBytes: 64 << 20})
	defer mem.Close(context.Background())
	cache, _ := hitbox.New(mem)
	defer cache.Close(context.Background())

	type User struct{ Name string }
	users, _ := hitbox.NewTyped(cache, hitbox.TypedOptions[User]{
		Policy:    hitbox.Policy{TTL: time.Minute, Stale: 30 * time.Second, StaleMode: hitbox.StaleOffloadRevalidate},
		Namespace: "users",
	})
	load := func(ctx context.Context) (User, error) { return User{Name: "Ann"}, nil }
	for range 2 {
		u, res, err := users.GetOrFetch(context.Background(), "42", load)
		fmt.Println(u.Name, res.Status, err)
	}
	// Output:
	// Ann MISS <nil>
	// Ann HIT <nil>
}

// The flow on bytes, as the HTTP faces use it.
func ExampleCache_Do() {
	mem, _ := memory.New(memory.Options{})
	defer mem.Close(context.Background())
	cache, _ := hitbox.New(mem)
	defer cache.Close(context.Background())

	key := hitbox.Key{Parts: []hitbox.KeyPart{hitbox.Part("method", "GET"), hitbox.Part("path", "/books")}}
	req := hitbox.Request{Key: key.String(), Policy: hitbox.Enabled(time.Minute, 0)}
	fetch := func(ctx context.Context) (hitbox.Fetched, error) {
		return hitbox.Fetched{Value: []byte("the books"), Store: true}, nil
	}
	for range 2 {
		res, _ := cache.Do(context.Background(), req, fetch)
		fmt.Printf("%s %s fwd=%q stored=%v\n", res.Value, res.Status, res.Forward, res.Stored)
	}
	fmt.Println(req.Key)
	// Output:
	// the books MISS fwd="miss" stored=true
	// the books HIT fwd="" stored=false
	// v0:method=GET&path=/books
}

// The in-process layer of a Typed: hits on fresh values are answered from
// decoded values kept in process, bounded by MaxBytes. Values are shared
// between callers unless Clone is set, as here, where each caller gets a
// slice of its own and may modify it.
func ExampleLocal() {
	mem, _ := memory.New(memory.Options{MaxBytes: 64 << 20})
	defer mem.Close(context.Background())
	cache, _ := hitbox.New(mem)
	defer cache.Close(context.Background())

	tags, _ := hitbox.NewTyped(cache, hitbox.TypedOptions[[]string]{
		Policy:    hitbox.Enabled(time.Minute, 0),
		Namespace: "tags",
		Local: hitbox.Local[[]string]{
			MaxBytes: 8 << 20,
			Clone:    func(v []string) []string { return append([]string(nil), v...) },
		},
	})
	load := func(ctx context.Context) ([]string, error) { return []string{"go", "cache"}, nil }
	first, res, _ := tags.GetOrFetch(context.Background(), "post-1", load)
	fmt.Println(first, res.Status)
	first[0] = "changed" // the caller's own copy
	second, res, _ := tags.GetOrFetch(context.Background(), "post-1", load)
	fmt.Println(second, res.Status)
	// Output:
	// [go cache] MISS
	// [go cache] HIT
}
