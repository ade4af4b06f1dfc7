package disk_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/disk"
)

// An entry written before a restart is there after it.
func Example() {
	dir, err := os.MkdirTemp("", "hitbox-disk-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "cache.db")
	ctx := context.Background()

	b, err := disk.New(disk.Options{Path: path, MaxBytes: 64 << 20})
	if err != nil {
		fmt.Println(err)
		return
	}
	now := time.Now()
	err = b.Set(ctx, "GET /books/1", backend.Entry{
		Value:   []byte(`{"title":"Dune"}`),
		Written: now,
		Stale:   now.Add(time.Minute),
		Expire:  now.Add(5 * time.Minute),
		Keep:    time.Minute,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := b.Close(ctx); err != nil {
		fmt.Println(err)
		return
	}

	// The process restarts: the same file, the same entry.
	b, err = disk.New(disk.Options{Path: path, MaxBytes: 64 << 20})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close(ctx)
	e, ok, _ := b.Get(ctx, "GET /books/1")
	fmt.Println(ok, string(e.Value), e.State(now))
	_, ok, _ = b.Get(ctx, "GET /books/2")
	fmt.Println(ok)

	// A second process (here a second Backend) cannot open the file.
	_, err = disk.New(disk.Options{Path: path, LockTimeout: 10 * time.Millisecond})
	fmt.Println(errors.Is(err, disk.ErrFileLocked))

	s := b.Stats()
	fmt.Println(s.Label, s.Hits, s.Misses, s.Entries)
	// Output:
	// true {"title":"Dune"} fresh
	// false
	// true
	// disk 1 1 1
}
