package redis

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hitbox-go/hitbox/backend"
)

// The lock scripts. lockScript takes the lock when the key is free, and
// also when it holds a lock without a TTL (left by a bug or set by hand: no
// holder renews it, so it would block the key for ever): it returns 1 for
// a free lock, 2 for an untrusted one taken over, 0 when another holds it.
// The others act only while the lock key still holds the caller's token,
// so that a holder whose lock expired and went to another never releases
// or extends the other's lock.
var (
	lockScript = goredis.NewScript(`if redis.call("SET", KEYS[1], ARGV[1], "NX", "PX", ARGV[2]) then return 1 end
if redis.call("PTTL", KEYS[1]) == -1 then redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2]) return 2 end
return 0`)
	unlockScript = goredis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)
	extendScript = goredis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end return 0`)
)

// Lock implements [backend.Locker]: a lock on key shared by every instance
// that uses the same Redis and LockPrefix, so that one of them calls the
// upstream for a key while the others wait for its entry. The lock's Redis
// key is LockPrefix + key ("lock:" + Prefix + key by default; the flow
// passes the entry's key, so an entry under "hitbox:k" is locked under
// "lock:hitbox:k").
//
// Lock sets the lock key to a random token with SET NX PX ttl (ttl, the
// lease, rounded up to the millisecond). When the key is already set,
// Lock returns an error wrapping [backend.ErrLocked] at once: it never
// waits (the flow polls the backend for the holder's entry meanwhile, and
// tries the lock again, each caller within its own deadline; there is no
// pub/sub notification of the release). A lock key without a TTL is not
// trusted: no holder renews such a key, so Lock takes it over in the same
// script and logs it (the first time at Warn, later ones at Debug). Other
// failures, such as Redis being down or the breaker open, return an error
// wrapping [backend.ErrUnavailable], on which the flow calls the upstream
// unguarded.
//
// While the lock is held, a goroutine renews the lease every ttl/3 (a
// PEXPIRE that applies only while the key still holds the token), so that
// an upstream call longer than ttl keeps the lock. The renewal stops when
// unlock is called, when ctx ends, when the lock turns out lost, or when
// the Backend is closed; the lock then expires within ttl, so a holder
// that dies holds the key for at most ttl.
//
// unlock stops the extension and deletes the key if it still holds the
// token (a compare-and-delete script), so it never releases a lock another
// caller took after this one expired. It is safe to call more than once and
// from any goroutine, and does not block for longer than OpTimeout.
func (b *Backend) Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(), err error) {
	ctx, err = b.begin(ctx, "lock", key)
	if err != nil {
		return nil, err
	}
	if ttl <= 0 {
		return nil, b.fail(ctx, "lock", fmt.Errorf("ttl %v: want a positive ttl", ttl))
	}
	ttl = (ttl + time.Millisecond - 1).Truncate(time.Millisecond)
	l := &lock{b: b, key: b.lockPrefix + key, token: rand.Text(), ttl: ttl, stop: make(chan struct{})}
	var got int64
	err = b.call(ctx, "lock", func(ctx context.Context) error {
		var err error
		got, err = lockScript.Run(ctx, b.client, []string{l.key}, l.token, ttl.Milliseconds()).Int64()
		return err
	})
	if err != nil {
		return nil, err
	}
	switch got {
	case 0:
		return nil, fmt.Errorf("%s: lock: %w", b.label, backend.ErrLocked)
	case 2:
		b.untrustedLock(l.key)
	}
	if !b.group.Go(func() { l.extend(ctx) }) {
		l.release()
		return nil, b.fail(ctx, "lock", backend.ErrClosed)
	}
	return l.unlock, nil
}

// lock is one lock held.
type lock struct {
	b     *Backend
	key   string
	token string
	ttl   time.Duration
	stop  chan struct{} // closed by unlock
	once  sync.Once     // runs unlock's work
}

// extend keeps the lock until unlock, ctx's end, the lock's loss or the
// Backend's Close.
func (l *lock) extend(ctx context.Context) {
	t := time.NewTicker(max(l.ttl/3, time.Millisecond))
	defer t.Stop()
	ms := l.ttl.Milliseconds()
	for {
		select {
		case <-l.stop:
			return
		case <-ctx.Done():
			return
		case <-l.b.bg.Done():
			return
		case <-t.C:
		}
		var n int64
		err := l.b.call(ctx, "extend lock", func(ctx context.Context) error {
			var err error
			n, err = extendScript.Run(ctx, l.b.client, []string{l.key}, l.token, ms).Int64()
			return err
		})
		if err == nil && n == 0 {
			return // expired, and maybe taken by another
		}
	}
}

// untrustedLock logs a lock key found without a TTL and taken over: the
// first one at Warn, later ones at Debug.
func (b *Backend) untrustedLock(key string) {
	level := slog.LevelDebug
	if b.untrustedLogged.CompareAndSwap(false, true) {
		level = slog.LevelWarn
	}
	b.logger.Log(context.Background(), level, "redis: lock key without a TTL taken over (left by a bug or set by hand; not trusted)", "backend", b.label, "key", key)
}

func (l *lock) unlock() {
	l.once.Do(func() {
		close(l.stop)
		l.release()
	})
}

// release deletes the lock key if it still holds the token. An extension
// in flight at the same time finds the key gone (or another's) and stops.
func (l *lock) release() {
	if l.b.closed.Load() {
		return
	}
	_ = l.b.call(context.Background(), "unlock", func(ctx context.Context) error {
		return unlockScript.Run(ctx, l.b.client, []string{l.key}, l.token).Err()
	})
}
