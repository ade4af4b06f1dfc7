package tarantool_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/memory"
	"github.com/hitbox-go/hitbox/backend/tarantool"
	"github.com/hitbox-go/hitbox/composition"
)

// An instance of a service: a memory L1 over a Tarantool L2 that the
// fleet shares. This example needs a Tarantool on localhost:3301 with the
// user and grants the package doc names, so it is compiled but not run
// (it has no Output).
func Example() {
	l2, err := tarantool.New(tarantool.Options{
		Address:  "localhost:3301",
		User:     "hitbox",
		Password: "secret",
		Space:    "myapp",
		Timeout:  500 * time.Millisecond,
		Codec:    backend.Codec{Format: backend.FormatMsgPack},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer l2.Close(context.Background())
	if err := l2.Ping(context.Background()); err != nil {
		// Not fatal: the flow answers from the upstream while the L2
		// is away, and the Backend connects when Tarantool is up.
		log.Printf("tarantool not reachable yet: %v", err)
	}
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

	cache, err := hitbox.New(c)
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
