package redis_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/memory"
	"github.com/hitbox-go/hitbox/backend/redis"
	"github.com/hitbox-go/hitbox/composition"
)

// An instance of a service: a memory L1 over a shared Redis L2, the L1
// kept coherent with the other instances' writes, and the flow guarding the
// upstream with the Redis lock. This example needs a Redis on
// localhost:6379, so it is compiled but not run (it has no Output).
func Example() {
	l2, err := redis.New(redis.Options{
		URL:     "redis://localhost:6379/0",
		Prefix:  "myapp:",
		Channel: "myapp:invalidate",
		Codec:   backend.Codec{Format: backend.FormatMsgPack},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer l2.Close(context.Background())
	l1, err := memory.New(memory.Options{MaxBytes: 64 << 20})
	if err != nil {
		log.Fatal(err)
	}
	defer l1.Close(context.Background())
	c, err := composition.New(l1, l2, composition.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(context.Background())
	inv, err := l2.Subscribe(l1)
	if err != nil {
		log.Fatal(err)
	}
	defer inv.Close(context.Background())

	cache, err := hitbox.New(c) // uses l2's Lock through the composition
	if err != nil {
		log.Fatal(err)
	}
	defer cache.Close(context.Background())
	req := hitbox.Request{Key: "books", Policy: hitbox.Enabled(time.Minute, 0)}
	res, err := cache.Do(context.Background(), req, func(ctx context.Context) (hitbox.Fetched, error) {
		return hitbox.Fetched{Value: []byte("the books"), Store: true}, nil
	})
	fmt.Println(string(res.Value), res.Status, err)
}
