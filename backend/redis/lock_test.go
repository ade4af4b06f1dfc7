package redis

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/internal/redistest"
)

// lockPair returns two Backends that share a server and a prefix, as two
// instances of one service do. Their calls may take long (a busy machine
// starves the server): these tests are about locks, not timeouts.
func lockPair(t *testing.T) (*Backend, *Backend) {
	t.Helper()
	s := redistest.Start(t)
	o := Options{URL: s.URL(), Prefix: "app:", OpTimeout: lockOpTimeout}
	return newBackend(t, o), newBackend(t, o)
}

// lockOpTimeout is the OpTimeout of the lock tests' Backends.
const lockOpTimeout = 10 * time.Second

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

// eventually polls cond every 5ms until it holds or 30s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not true after 30s", what)
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

// WaitRenewals polls the PTTL of the Redis key lockKey until it has seen
// the lease renewed n times (the PTTL going up), failing t if the key
// stops holding token first, or after 30s. Exported for the flow's tests
// (package redis_test).
func WaitRenewals(t *testing.T, client goredis.UniversalClient, lockKey, token string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	last, seen := time.Duration(-1), 0
	for seen < n {
		if time.Now().After(deadline) {
			t.Fatalf("saw %d renewals of the lock in 30s, want %d", seen, n)
		}
		if h, _ := client.Get(t.Context(), lockKey).Result(); h != token {
			t.Fatalf("after %d renewals the lock key holds %q, want the holder's token %q", seen, h, token)
		}
		pttl, err := client.PTTL(t.Context(), lockKey).Result()
		if err != nil {
			t.Fatalf("PTTL: %v", err)
		}
		if last >= 0 && pttl > last {
			seen++
		}
		last = pttl
		time.Sleep(5 * time.Millisecond) // the polling interval, not a wait for an event
	}
}

// TestLockExtendedWhileHeld checks that a held lock's lease is renewed
// past its length (four renewals every lease/3) and that nobody else
// takes it meanwhile.
func TestLockExtendedWhileHeld(t *testing.T) {
	t.Parallel()
	a, b := lockPair(t)
	// Long enough that a busy machine never delays a renewal by a lease.
	const lease = 3 * time.Second
	unlock := mustLock(t, a, t.Context(), "k", lease)
	token := holder(t, a, "k")
	WaitRenewals(t, a.Client(), a.lockPrefix+"k", token, 4)
	mustBeLocked(t, b, "k")
	pttl, err := a.Client().PTTL(t.Context(), a.lockPrefix+"k").Result()
	if err != nil || pttl <= 0 || pttl > lease {
		t.Fatalf("PTTL of the lock key = %v, %v; want in (0, %v]", pttl, err, lease)
	}
	unlock()
	if h := holder(t, a, "k"); h != "" {
		t.Fatalf("lock key after unlock holds %q", h)
	}
}

// levels is a slog.Handler that counts records by level.
type levels struct {
	mu sync.Mutex // guards n
	n  map[slog.Level]int
}

func (l *levels) Enabled(context.Context, slog.Level) bool { return true }
func (l *levels) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n == nil {
		l.n = make(map[slog.Level]int)
	}
	l.n[r.Level]++
	return nil
}
func (l *levels) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *levels) WithGroup(string) slog.Handler      { return l }

func (l *levels) count(level slog.Level) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n[level]
}

// TestLockTakesOverKeyWithoutTTL checks that a lock key without a TTL
// (left by a bug or set by hand) is not trusted: Lock takes it, with a
// lease, and logs it once at Warn.
func TestLockTakesOverKeyWithoutTTL(t *testing.T) {
	t.Parallel()
	s := redistest.Start(t)
	logs := &levels{}
	a := newBackend(t, Options{URL: s.URL(), Prefix: "app:", OpTimeout: lockOpTimeout, Logger: slog.New(logs)})
	const lease = 10 * time.Second
	for i, key := range []string{"k", "k2"} {
		if err := a.Client().Set(t.Context(), a.lockPrefix+key, "by hand", 0).Err(); err != nil {
			t.Fatal(err)
		}
		unlock := mustLock(t, a, t.Context(), key, lease)
		if h := holder(t, a, key); h == "by hand" || h == "" {
			t.Fatalf("lock key after Lock holds %q, want the new holder's token", h)
		}
		pttl, err := a.Client().PTTL(t.Context(), a.lockPrefix+key).Result()
		if err != nil || pttl <= 0 || pttl > lease {
			t.Fatalf("PTTL of the taken-over lock key = %v, %v; want in (0, %v]", pttl, err, lease)
		}
		unlock()
		if w, d := logs.count(slog.LevelWarn), logs.count(slog.LevelDebug); w != 1 || d != i {
			t.Errorf("after %d take-overs: %d warnings, %d debug lines; want 1 and %d", i+1, w, d, i)
		}
	}
	// A lock key with a TTL is another's lock, trusted.
	if err := a.Client().Set(t.Context(), a.lockPrefix+"k3", "alive", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	mustBeLocked(t, a, "k3")
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
	if err := b.Close(context.Background()); err != nil {
		t.Fatalf("Close = %v", err)
	}
	unlock()
	if _, err := b.Lock(t.Context(), "k2", time.Second); !errors.Is(err, backend.ErrClosed) {
		t.Fatalf("Lock after Close = %v, want ErrClosed", err)
	}
}
