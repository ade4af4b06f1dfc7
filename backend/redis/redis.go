package redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hitbox-go/hitbox/backend"
	circuit "github.com/hitbox-go/hitbox/internal/breaker"
	"github.com/hitbox-go/hitbox/internal/lifecycle"
	"github.com/hitbox-go/hitbox/internal/store"
)

// Backend is a [backend.Backend] on Redis: standalone, cluster or
// Sentinel, through a go-redis UniversalClient. Each entry is one string
// key, Prefix followed by the entry's key, holding the entry encoded by the
// Codec (value, written, stale, expire and keep together), with a native
// Redis TTL at the entry's deadline ([backend.Entry.Deadline]) plus
// [Options.ExpiryMargin]. Reads check the deadline against [Options.Now]
// too, so an entry past it is a miss at once, whatever Redis's clock says.
//
// Every call to Redis runs under [Options.OpTimeout] and through a circuit
// breaker ([BreakerOptions]): when Redis is down or stalls, calls fail at
// once with an error wrapping [backend.ErrUnavailable] until a probe finds
// it back. The request flow reads such an error as a miss and counts a
// failed write, so users see the upstream's answers while Redis is away.
//
// A Backend implements [backend.Lister] and [backend.Purger] (with SCAN on
// every master, never KEYS), [backend.Locker] (a lock key per key, for one
// upstream call per key across instances), [backend.Tagger] (the marks in
// one hash, [Options.TagsKey]), [backend.StatsReporter] and
// [backend.Labeled]. With [Options.Channel] set it announces its writes
// for the L1 invalidation of other instances ([Backend.Subscribe]).
//
// A Backend is safe for concurrent use. Close it when done: it stops the
// lock extensions and subscriptions it started and closes the client it
// made (not one passed in [Options.Client]).
type Backend struct {
	client       goredis.UniversalClient
	ownClient    bool
	prefix       string
	lockPrefix   string
	tagsKey      string
	retention    time.Duration // Options.TagRetention; 0: marks are not pruned
	codec        backend.Codec
	now          func() time.Time
	opTimeout    time.Duration // 0: none
	expiryMargin time.Duration
	label        string
	channel      string // "": no announcements
	instanceID   string
	breaker      circuit.Breaker // guards the calls to Redis
	logger       *slog.Logger

	untrustedLogged atomic.Bool // a lock key without a TTL was logged at Warn

	// The pruning of the tag marks (see tags.go): schedule says at which
	// size of the marks' hash InvalidateTags starts a prune (tests lower
	// its Min); pruning is set while one runs.
	schedule store.PruneSchedule
	pruning  atomic.Bool

	// bg is canceled by Close: lock extensions, subscriptions and a
	// prune of the tag marks end.
	bg       context.Context
	cancelBG context.CancelFunc
	mu       sync.Mutex      // guards closed, and subs
	closed   atomic.Bool     // set under mu; read without it
	group    lifecycle.Group // the goroutines the Backend started; closed by Close
	subs     []*Invalidator  // the subscriptions made by Subscribe

	ops store.Counters
}

// New returns a Backend configured by o, or an error for invalid Options.
// It does not contact Redis: a server that is down at first is found when
// it comes up (see [Backend.Ping] to check at start).
func New(o Options) (*Backend, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	o.setDefaults()
	client, owned, err := o.newClient()
	if err != nil {
		return nil, err
	}
	b := &Backend{
		client:       client,
		ownClient:    owned,
		prefix:       o.Prefix,
		lockPrefix:   o.LockPrefix,
		tagsKey:      o.TagsKey,
		retention:    o.TagRetention,
		codec:        o.Codec,
		now:          o.Now,
		opTimeout:    o.OpTimeout,
		expiryMargin: o.ExpiryMargin,
		label:        o.Label,
		channel:      o.Channel,
		instanceID:   o.InstanceID,
		breaker:      circuit.New(o.Label, o.Breaker),
		logger:       o.Logger,
	}
	b.bg, b.cancelBG = context.WithCancel(context.Background())
	return b, nil
}

// Client returns the go-redis client the Backend uses, for the commands the
// Backend does not cover. Keys the Backend stores are Prefix + key.
func (b *Backend) Client() goredis.UniversalClient { return b.client }

// InstanceID returns the ID this Backend puts in what it publishes
// ([Options.InstanceID]).
func (b *Backend) InstanceID() string { return b.instanceID }

// Label returns the Backend's label ("redis" unless Options.Label says
// otherwise).
func (b *Backend) Label() string { return b.label }

// BreakerState returns the circuit breaker's state: "closed", "half-open",
// "open", or "disabled".
func (b *Backend) BreakerState() string { return b.breaker.State() }

// Ping checks that Redis answers, through the breaker and within
// OpTimeout.
func (b *Backend) Ping(ctx context.Context) error {
	ctx, err := b.open(ctx, "ping")
	if err != nil {
		return err
	}
	return b.call(ctx, "ping", func(ctx context.Context) error {
		return b.client.Ping(ctx).Err()
	})
}

// open checks what every operation checks first (see [store.Open]).
func (b *Backend) open(ctx context.Context, op string) (context.Context, error) {
	return store.Open(ctx, &b.closed, op, b.fail)
}

// begin checks what every operation on one key checks first (see
// [store.Begin]).
func (b *Backend) begin(ctx context.Context, op, key string) (context.Context, error) {
	return store.Begin(ctx, key, &b.closed, op, b.fail)
}

// fail counts a failed operation and wraps its error: with the caller's
// context error when the caller gave up, and with [backend.ErrUnavailable]
// when Redis could not serve.
func (b *Backend) fail(ctx context.Context, op string, err error) error {
	b.ops.Errors.Add(1)
	cerr := ctx.Err()
	switch {
	case cerr != nil && !errors.Is(err, cerr):
		return fmt.Errorf("%s: %s: %w (%w)", b.label, op, cerr, err)
	case cerr == nil && !errors.Is(err, backend.ErrUnavailable) && isRedisFailure(err):
		return fmt.Errorf("%s: %s: %w: %w", b.label, op, backend.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %s: %w", b.label, op, err)
}

// isRedisFailure reports whether err came from Redis or the network, as
// opposed to bad input or a closed Backend.
func isRedisFailure(err error) bool {
	for _, e := range []error{backend.ErrInvalidKey, backend.ErrClosed, backend.ErrDecode} {
		if errors.Is(err, e) {
			return false
		}
	}
	return unavailable(err)
}

// opContext bounds one call to Redis by OpTimeout.
func (b *Backend) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if b.opTimeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, b.opTimeout)
}

// call makes one call to Redis through the breaker under OpTimeout, and
// wraps its error for op.
func (b *Backend) call(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	done, err := b.breaker.Allow()
	if err != nil {
		return b.fail(ctx, op, err)
	}
	octx, cancel := b.opContext(ctx)
	err = fn(octx)
	cancel()
	done(outcome(ctx, err))
	if err != nil && !errors.Is(err, goredis.Nil) {
		return b.fail(ctx, op, err)
	}
	return err
}

// Get returns the entry under key. A key Redis does not hold, an entry past
// its deadline at Now, and bytes the Codec cannot decode (counted in
// Stats.DecodeErrors) are misses. When Redis fails, or the breaker is open,
// Get returns an error wrapping [backend.ErrUnavailable] (at once when the
// breaker is open). The returned Value is the caller's.
func (b *Backend) Get(ctx context.Context, key string) (backend.Entry, bool, error) {
	ctx, err := b.begin(ctx, "get", key)
	if err != nil {
		return backend.Entry{}, false, err
	}
	done, err := b.breaker.Allow()
	if err != nil {
		return backend.Entry{}, false, b.fail(ctx, "get", err)
	}
	octx, cancel := b.opContext(ctx)
	raw, err := b.client.Get(octx, b.prefix+key).Bytes()
	cancel()
	done(outcome(ctx, err))
	switch {
	case errors.Is(err, goredis.Nil):
		b.ops.Misses.Add(1)
		return backend.Entry{}, false, nil
	case err != nil:
		return backend.Entry{}, false, b.fail(ctx, "get", err)
	}
	e, err := b.codec.Decode(raw)
	if err != nil {
		b.ops.DecodeErrors.Add(1)
		b.ops.Misses.Add(1)
		return backend.Entry{}, false, nil
	}
	if e.Gone(b.now()) {
		b.ops.Misses.Add(1)
		return backend.Entry{}, false, nil
	}
	b.ops.Hits.Add(1)
	return e, true, nil
}

// encoded pools the buffers Set encodes into; buffers above maxPooled are
// left to the garbage collector.
var encoded = sync.Pool{New: func() any { return new([]byte) }}

const maxPooled = 1 << 20

// ttl returns the TTL Redis gets for an entry with deadline d at now: the
// time left, rounded up to the millisecond, plus the expiry margin; zero
// for no deadline. ok is false when the deadline has passed.
func (b *Backend) ttl(d, now time.Time) (ttl time.Duration, ok bool) {
	if d.IsZero() {
		return 0, true
	}
	left := d.Sub(now)
	if left <= 0 {
		return 0, false
	}
	left = (left + time.Millisecond - 1).Truncate(time.Millisecond)
	return left + b.expiryMargin, true
}

// Set stores e under key, replacing any previous entry, with a Redis TTL at
// its deadline plus the expiry margin (none when it never expires). An
// entry already past its deadline at Now is not stored, and the previous
// entry stays (a no-op returning nil). When Redis fails, or the breaker is
// open, Set returns an error wrapping [backend.ErrUnavailable] (at once
// when the breaker is open) and the write is lost. With
// [Options.Channel] set, a successful Set announces the key in the same
// round trip; a failed announcement is counted in Stats.Errors but does not
// fail the Set.
func (b *Backend) Set(ctx context.Context, key string, e backend.Entry) error {
	ctx, err := b.begin(ctx, "set", key)
	if err != nil {
		return err
	}
	if e.Keep < 0 {
		e.Keep = 0
	}
	ttl, ok := b.ttl(e.Deadline(), b.now())
	if !ok {
		return nil
	}
	buf := encoded.Get().(*[]byte)
	defer func() {
		if cap(*buf) <= maxPooled {
			encoded.Put(buf)
		}
	}()
	raw, err := b.codec.Encode((*buf)[:0], e)
	if err != nil {
		return b.fail(ctx, "set", err)
	}
	*buf = raw
	err = b.call(ctx, "set", func(ctx context.Context) error {
		if b.channel == "" {
			return b.client.Set(ctx, b.prefix+key, raw, ttl).Err()
		}
		var set *goredis.StatusCmd
		pub, err := b.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
			set = p.Set(ctx, b.prefix+key, raw, ttl)
			p.Publish(ctx, b.channel, b.message(opKeys, key))
			return nil
		})
		return b.announced(set.Err(), pub, err)
	})
	if err != nil {
		return err
	}
	b.ops.Sets.Add(1)
	return nil
}

// announced returns the error of a write pipelined with its announcement:
// the write's own error, while a failed announcement is only counted.
func (b *Backend) announced(writeErr error, cmds []goredis.Cmder, err error) error {
	if writeErr != nil {
		return writeErr
	}
	if err != nil && len(cmds) > 0 && cmds[len(cmds)-1].Err() != nil {
		b.ops.Errors.Add(1)
	}
	return nil
}

// Delete removes the entry under key and reports whether Redis held it (an
// entry past its deadline that Redis has not dropped yet counts). Errors
// are as for [Backend.Set]; with [Options.Channel] set, Delete announces
// the key whether or not Redis held it, since other instances' L1 may.
func (b *Backend) Delete(ctx context.Context, key string) (bool, error) {
	ctx, err := b.begin(ctx, "delete", key)
	if err != nil {
		return false, err
	}
	var n int64
	err = b.call(ctx, "delete", func(ctx context.Context) error {
		if b.channel == "" {
			var err error
			n, err = b.client.Del(ctx, b.prefix+key).Result()
			return err
		}
		var del *goredis.IntCmd
		cmds, err := b.client.Pipelined(ctx, func(p goredis.Pipeliner) error {
			del = p.Del(ctx, b.prefix+key)
			p.Publish(ctx, b.channel, b.message(opKeys, key))
			return nil
		})
		n = del.Val()
		return b.announced(del.Err(), cmds, err)
	})
	if err != nil {
		return false, err
	}
	if n > 0 {
		b.ops.Deletes.Add(1)
	}
	return n > 0, nil
}

// Stats returns the Backend's counters. Entries and Bytes are -1: Redis
// cannot tell them for a prefix without walking the keys.
func (b *Backend) Stats() backend.Stats {
	return b.ops.Stats(b.label, -1, -1)
}

// Close stops the lock extensions, the subscriptions and the prune of the
// tag marks the Backend started, waits for them, and closes the client when the Backend made it.
// Locks still held then expire at their TTL. When ctx ends first, Close
// returns ctx's error and the client is closed once those goroutines end.
// The first call returns the client's Close error; Close is idempotent:
// later calls return nil. Every other method afterwards returns an error
// wrapping [backend.ErrClosed]; Stats and Label still work.
func (b *Backend) Close(ctx context.Context) error {
	var subs []*Invalidator
	if !store.MarkClosed(&b.mu, &b.closed, &b.group, func() { subs, b.subs = b.subs, nil }) {
		return nil
	}
	b.cancelBG()
	for _, s := range subs {
		_ = s.Close(ctx)
	}
	return lifecycle.CloseWith(ctx, b.label, &b.group, func() error {
		if b.ownClient {
			return b.client.Close()
		}
		return nil
	})
}

var (
	_ backend.Backend       = (*Backend)(nil)
	_ backend.Lister        = (*Backend)(nil)
	_ backend.Purger        = (*Backend)(nil)
	_ backend.Locker        = (*Backend)(nil)
	_ backend.StatsReporter = (*Backend)(nil)
	_ backend.Labeled       = (*Backend)(nil)
	_ backend.Tagger        = (*Backend)(nil)
)
