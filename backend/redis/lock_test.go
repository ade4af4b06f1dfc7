package redis

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/internal/redistest"
)

// lockPair returns two Backends that share a server and a prefix, as two
// instances of one service do.
func lockPair(t *testing.T) (*Backend, *Backend) {
	t.Helper()
	s := redistest.Start(t)
	return newBackend(t, Options{URL: s.URL(), Prefix: "app:"}), newBackend(t, Options{URL: s.URL(), Prefix: "app:"})
}

func mustLock(t *testing.T, b *Backend, ctx context.Context, key string, ttl time.Duration) func() {
	t.Helper()
	unlock, err := b.Lock(ctx, key, ttl)
	if err != nil {
		t.Fatalf("Lock(%q) = %v, want the lock", key, err)
	}
	return unlock
}

func mustBeLocked(t *testing.T, b *Backend, key string) {
	t.Helper()
	unlock, err := b.Lock(t.Context(), key, time.Second)
	if !errors.Is(err, backend.ErrLocked) {
		if unlock != nil {
			unlock()
		}
		t.Fatalf("Lock(%q) on a held lock = %v, want an error wrapping backend.ErrLocked", key, err)
	}
}

// holder returns the token stored under the lock key, or "" when none.
func holder(t *testing.T, b *Backend, key string) string {
	t.Helper()
	v, err := b.Client().Get(t.Context(), b.lockPrefix+key).Result()
	if err != nil {
		return ""
	}
	return v
}

// eventually polls cond every 5ms until it holds or 10s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not true after 10s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestLockExcludesOthers(t *testing.T) {
	t.Parallel()
	a, b := lockPair(t)
	unlockA := mustLock(t, a, t.Context(), "k", 10*time.Second)
	mustBeLocked(t, b, "k")
	mustBeLocked(t, a, "k") // not reentrant
	// Another key is another lock.
	mustLock(t, b, t.Context(), "other", 10*time.Second)()
	unlockA()
	if h := holder(t, a, "k"); h != "" {
		t.Fatalf("lock key after unlock holds %q, want it deleted", h)
	}
	unlockB := mustLock(t, b, t.Context(), "k", 10*time.Second)
	defer unlockB()
	mustBeLocked(t, a, "k")
}

func TestLockUnlockIdempotentAndOnlyOwn(t *testing.T) {
	t.Parallel()
	a, b := lockPair(t)
	// a's lock expires without an unlock: its extension stops with ctx.
	ctx, cancel := context.WithCancel(t.Context())
	unlockA := mustLock(t, a, ctx, "k", 50*time.Millisecond)
	cancel()
	var unlockB func()
	eventually(t, "b takes the lock after a's expired", func() bool {
		u, err := b.Lock(t.Context(), "k", 10*time.Second)
		unlockB = u
		return err == nil
	})
	defer unlockB()
	tokenB := holder(t, b, "k")
	unlockA() // a no longer holds it: nothing happens
	unlockA()
	if h := holder(t, b, "k"); h != tokenB {
		t.Fatalf("after a non-holder's unlock, lock key holds %q, want b's token %q", h, tokenB)
	}
	mustBeLocked(t, a, "k")
	unlockB()
	unlockB()
	if h := holder(t, b, "k"); h != "" {
		t.Fatalf("after the holder's unlock, lock key holds %q, want it deleted", h)
	}
}

func TestLockExpires(t *testing.T) {
	t.Parallel()
	a, b := lockPair(t)
	ctx, cancel := context.WithCancel(t.Context())
	start := time.Now()
	mustLock(t, a, ctx, "k", 200*time.Millisecond)
	// A holder that dies stops extending: here its context ends.
	cancel()
	eventually(t, "the lock expires", func() bool {
		u, err := b.Lock(t.Context(), "k", time.Second)
		if err == nil {
			u()
			return true
		}
		if !errors.Is(err, backend.ErrLocked) {
			t.Fatalf("Lock = %v, want nil or ErrLocked", err)
		}
		return false
	})
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("lock with a 200ms TTL came free after %v", d)
	}
}

func TestLockExtendedWhileHeld(t *testing.T) {
	t.Parallel()
	a, b := lockPair(t)
	const ttl = 150 * time.Millisecond
	start := time.Now()
	unlock := mustLock(t, a, t.Context(), "k", ttl)
	token := holder(t, a, "k")
	// Held for five TTLs: only the extension keeps it.
	for time.Since(start) < 5*ttl {
		if h := holder(t, a, "k"); h != token {
			t.Fatalf("%v after Lock with a %v TTL, lock key holds %q, want the holder's token", time.Since(start), ttl, h)
		}
		mustBeLocked(t, b, "k")
		time.Sleep(10 * time.Millisecond)
	}
	pttl, err := a.Client().PTTL(t.Context(), a.lockPrefix+"k").Result()
	if err != nil || pttl <= 0 || pttl > ttl {
		t.Fatalf("PTTL of the lock key = %v, %v; want in (0, %v]", pttl, err, ttl)
	}
	unlock()
	if h := holder(t, a, "k"); h != "" {
		t.Fatalf("lock key after unlock holds %q", h)
	}
}

func TestLockBadInput(t *testing.T) {
	t.Parallel()
	a, _ := lockPair(t)
	tests := []struct {
		name string
		key  string
		ttl  time.Duration
		want error
	}{
		{"empty key", "", time.Second, backend.ErrInvalidKey},
		{"zero ttl", "k", 0, nil},
		{"negative ttl", "k", -time.Second, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			unlock, err := a.Lock(t.Context(), tt.key, tt.ttl)
			if err == nil || unlock != nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("Lock(%q, %v) = %v, %v; want an error (wrapping %v)", tt.key, tt.ttl, unlock != nil, err, tt.want)
			}
		})
	}
}

// TestLocksAreNotEntries checks that lock keys stay out of List and Purge.
func TestLocksAreNotEntries(t *testing.T) {
	t.Parallel()
	a, _ := lockPair(t)
	unlock := mustLock(t, a, t.Context(), "k", 10*time.Second)
	defer unlock()
	n := 0
	if err := a.List(t.Context(), "", func(backend.KeyInfo) bool { n++; return true }); err != nil || n != 0 {
		t.Fatalf("List with a lock held = %d entries, %v; want 0, nil", n, err)
	}
	if n, err := a.Purge(t.Context(), ""); err != nil || n != 0 {
		t.Fatalf("Purge with a lock held = %d, %v; want 0, nil", n, err)
	}
	mustBeLocked(t, a, "k")
}

// TestCloseStopsExtension checks that Close ends the extension goroutine
// of a lock still held (goleak checks it is gone) and that unlock after
// Close does nothing.
func TestCloseStopsExtension(t *testing.T) {
	t.Parallel()
	s := redistest.Start(t)
	b, err := New(Options{URL: s.URL()})
	if err != nil {
		t.Fatal(err)
	}
	unlock := mustLock(t, b, t.Context(), "k", time.Minute)
	if err := b.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	unlock()
	if _, err := b.Lock(t.Context(), "k2", time.Second); !errors.Is(err, backend.ErrClosed) {
		t.Fatalf("Lock after Close = %v, want ErrClosed", err)
	}
}
