package offload_test

import (
	"context"
	"fmt"
	"time"

	"github.com/hitbox-go/hitbox/offload"
)

func Example() {
	r, err := offload.New(offload.Options{Concurrency: 2, Timeout: time.Second})
	if err != nil {
		fmt.Println(err)
		return
	}

	done := make(chan string, 1)
	ok := r.TryGo("revalidate", func(ctx context.Context) {
		done <- "refreshed /users/42"
	})
	fmt.Println("started:", ok)
	fmt.Println(<-done)

	// At most one refresh per key: a second one is refused while the first runs.
	release := make(chan struct{})
	r.TryGoKey("refresh", "/users/7", func(ctx context.Context) { <-release })
	fmt.Println("second refresh of /users/7:", r.TryGoKey("refresh", "/users/7", func(context.Context) {}))
	close(release)

	if err := r.Close(context.Background()); err != nil {
		fmt.Println(err)
	}
	fmt.Println("after shutdown:", r.TryGo("revalidate", func(context.Context) {}))

	s := r.Stats()
	fmt.Printf("started=%d completed=%d dropped=%d deduplicated=%d running=%d\n",
		s.Started, s.Completed, s.Dropped, s.Deduplicated, s.Running)
	// Output:
	// started: true
	// refreshed /users/42
	// second refresh of /users/7: false
	// after shutdown: false
	// started=2 completed=2 dropped=1 deduplicated=1 running=0
}
