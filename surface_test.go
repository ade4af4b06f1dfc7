package hitbox_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/backendtest"
	"github.com/hitbox-go/hitbox/backend/memory"
)

// TestJitterSpreadsLifetimes checks that a positive Policy.Jitter adds to
// each entry's TTL and Stale a duration in [0, Jitter), different from one
// entry to the next.
func TestJitterSpreadsLifetimes(t *testing.T) {
	t.Parallel()
	c, m := newCache(t)
	const ttl, stale, jitter = time.Minute, 30 * time.Second, 10 * time.Second
	p := hitbox.Policy{TTL: ttl, Stale: stale, Jitter: jitter}
	ok := func(context.Context) (hitbox.Fetched, error) {
		return hitbox.Fetched{Value: []byte("v"), Store: true}, nil
	}
	seen := map[time.Duration]bool{}
	for i := range 20 {
		key := "k" + string(rune('a'+i))
		if _, err := c.Do(t.Context(), hitbox.Request{Key: key, Policy: p}, ok); err != nil {
			t.Fatal(err)
		}
		e, found, err := m.Get(t.Context(), key)
		if err != nil || !found {
			t.Fatalf("%s not stored: %v", key, err)
		}
		life, fresh := e.Expire.Sub(e.Written), e.Stale.Sub(e.Written)
		if life < ttl || life >= ttl+jitter || fresh < stale || fresh >= stale+jitter {
			t.Errorf("%s: TTL %v and Stale %v, want in [%v, %v) and [%v, %v)", key, life, fresh, ttl, ttl+jitter, stale, stale+jitter)
		}
		if life-ttl != fresh-stale {
			t.Errorf("%s: TTL got %v of jitter and Stale %v, want the same", key, life-ttl, fresh-stale)
		}
		seen[life] = true
	}
	if len(seen) < 2 {
		t.Errorf("20 entries written with jitter all got the same TTL")
	}
}

// TestBackendTimeout checks WithBackendTimeout: a read that outlasts it is
// a miss (counted as a read error) and the upstream answers; a write that
// outlasts it is counted and the answer still goes to the caller.
func TestBackendTimeout(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		f := backendtest.NewFault(newMemory(t))
		f.Hang(true)
		defer f.Hang(false)
		rec := &events{}
		c, err := hitbox.New(f, hitbox.WithBackendTimeout(time.Second), hitbox.WithRecorder(rec))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(context.Background())
		calls := 0
		res, err := c.Do(t.Context(), hitbox.Request{Key: "k", Policy: hitbox.Enabled(time.Minute, 0)},
			func(context.Context) (hitbox.Fetched, error) {
				calls++
				return hitbox.Fetched{Value: []byte("v"), Store: true}, nil
			})
		if err != nil || res.Status != hitbox.Miss || string(res.Value) != "v" || res.Stored || calls != 1 {
			t.Errorf("Do over a hanging backend = %+v, %v (%d upstream calls); want the upstream's v, not stored", res, err, calls)
		}
		if r, w := rec.count(hitbox.EventReadError), rec.count(hitbox.EventWriteError); r < 1 || w != 1 {
			t.Errorf("read errors %d, write errors %d; want the timed-out reads and one write counted", r, w)
		}
	})
}

// lockRecorder is a memory backend with a Locker that reports when the
// lock is released, and whose Set waits for a go-ahead.
type lockRecorder struct {
	*memory.Backend
	setting  chan struct{} // closed when a Set starts
	proceed  chan struct{} // closed to let Set go on
	unlocked chan struct{} // closed by the unlock
	once     sync.Once
	setOnce  sync.Once
	setDone  chan struct{} // closed when Set returned
}

func (l *lockRecorder) Lock(context.Context, string, time.Duration) (func(), error) {
	return func() { l.once.Do(func() { close(l.unlocked) }) }, nil
}

func (l *lockRecorder) Set(ctx context.Context, key string, e backend.Entry) error {
	l.setOnce.Do(func() { close(l.setting) })
	<-l.proceed
	defer close(l.setDone)
	return l.Backend.Set(ctx, key, e)
}

// TestStoreInBackgroundHandsTheLockOver checks Policy.StoreInBackground:
// the caller gets its MISS before the entry is written (by the offload
// runner), and the fleet-wide lock is released only once the write has
// landed, so that another instance finds the entry rather than calling the
// upstream too.
func TestStoreInBackgroundHandsTheLockOver(t *testing.T) {
	t.Parallel()
	l := &lockRecorder{Backend: newMemory(t), setting: make(chan struct{}), proceed: make(chan struct{}),
		unlocked: make(chan struct{}), setDone: make(chan struct{})}
	c := newCacheOnBackend(t, l)
	p := hitbox.Enabled(time.Minute, 0)
	p.StoreInBackground = true
	res, err := c.Do(t.Context(), hitbox.Request{Key: "k", Policy: p}, func(context.Context) (hitbox.Fetched, error) {
		return hitbox.Fetched{Value: []byte("v"), Store: true}, nil
	})
	if err != nil || res.Status != hitbox.Miss || !res.Stored || string(res.Value) != "v" {
		t.Fatalf("Do = %+v, %v; want v as a MISS, stored in the background", res, err)
	}
	<-l.setting // the background store runs, and waits
	select {
	case <-l.unlocked:
		t.Fatal("the lock was released before the background store landed")
	default:
	}
	close(l.proceed)
	<-l.unlocked
	select {
	case <-l.setDone:
	default:
		t.Fatal("the lock was released before Set returned")
	}
	if _, ok, _ := l.Backend.Get(t.Context(), "k"); !ok {
		t.Error("the background store did not land")
	}
}
