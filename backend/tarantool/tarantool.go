package tarantool

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tarantool/go-iproto"
	"github.com/tarantool/go-tarantool/v3"

	"github.com/hitbox-go/hitbox/backend"
	circuit "github.com/hitbox-go/hitbox/internal/breaker"
	"github.com/hitbox-go/hitbox/internal/lifecycle"
	"github.com/hitbox-go/hitbox/internal/store"
)

// Backend is a [backend.Backend] on a Tarantool space: one tuple per entry,
// {key, deadline, value}, the value being the entry encoded by the Codec
// behind its checksummed header. See the package doc for the space, the
// sweep, the connections and the failures.
//
// A Backend implements [backend.Lister], [backend.Purger],
// [backend.Tagger] (the marks in a second space, Space + "_tags"),
// [backend.StatsReporter] and [backend.Labeled]. It is safe for concurrent
// use. Close it when done: it stops the sweep and closes the connections.
type Backend struct {
	address    string
	space      string
	codec      backend.Codec
	now        func() time.Time
	timeout    time.Duration // 0: none
	reconnect  time.Duration
	margin     time.Duration
	sweepEvery time.Duration // <= 0: no sweep
	sweepBatch int
	label      string
	breaker    circuit.Breaker
	dialer     dialer
	prune      tagPruning

	conns   []atomic.Pointer[tarantool.Connection] // nil until connected
	next    atomic.Uint32                          // the connection pick takes next
	spaceID atomic.Uint32                          // 0 until a connection ensured the space
	dialErr atomic.Pointer[error]                  // why the last connection attempt failed
	healing atomic.Bool                            // a re-ensure of a vanished space runs

	// bg is canceled by Close: connection attempts and the sweep end.
	bg       context.Context
	cancelBG context.CancelFunc
	mu       sync.Mutex      // guards closed and conns
	closed   atomic.Bool     // set under mu; read without it
	group    lifecycle.Group // the goroutines the Backend started; closed by Close

	ops            store.Counters
	entries, bytes atomic.Int64 // from the last sweep; -1 before
}

// New returns a Backend configured by o, or an error for invalid Options.
// It does not wait for Tarantool: the connections are made in the
// background, and calls fail at once with an error wrapping
// [backend.ErrUnavailable] (saying why the last attempt failed: refused,
// bad credentials, missing grants...) until one is up. See [Backend.Ping]
// to check at start.
func New(o Options) (*Backend, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	o.setDefaults()
	b := &Backend{
		address:    o.Address,
		space:      o.Space,
		codec:      o.Codec,
		now:        o.Now,
		timeout:    o.Timeout,
		reconnect:  o.ReconnectInterval,
		margin:     o.ExpiryMargin,
		sweepEvery: o.SweepInterval,
		sweepBatch: o.SweepBatch,
		label:      o.Label,
		breaker:    circuit.New(o.Label, o.Breaker),
		conns:      make([]atomic.Pointer[tarantool.Connection], o.PoolSize),
		prune:      tagPruning{retention: o.TagRetention, batch: pruneBatch},
	}
	b.dialer = dialer{b: b, net: tarantool.NetDialer{Address: o.Address, User: o.User, Password: o.Password}}
	b.entries.Store(-1)
	b.bytes.Store(-1)
	b.bg, b.cancelBG = context.WithCancel(context.Background())
	for i := range b.conns {
		b.group.Go(func() { b.connect(i) })
	}
	if b.sweepEvery > 0 {
		b.group.Go(b.sweepLoop)
	}
	return b, nil
}

// Label returns the Backend's label ("tarantool" unless Options.Label says
// otherwise).
func (b *Backend) Label() string { return b.label }

// BreakerState returns the circuit breaker's state: "closed", "half-open",
// "open", or "disabled".
func (b *Backend) BreakerState() string { return b.breaker.State() }

// Ping checks that Tarantool answers, through the breaker and within
// Timeout. Before the first connection is up it fails at once with an
// error wrapping [backend.ErrUnavailable] that says why the last attempt
// failed.
func (b *Backend) Ping(ctx context.Context) error {
	ctx, err := b.open(ctx, "ping")
	if err != nil {
		return err
	}
	return b.run(ctx, "ping", func(uint32) tarantool.Request { return tarantool.NewPingRequest() }, nil)
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

// writeContext returns the context a write runs under: with Timeout set,
// the caller's context without its cancellation, so that a write, once
// sent, is waited for until its reply or its timeout. A write the caller
// gave up on could otherwise land after a later write of the same key
// (a composition's race-write loser, which a later write cancels and
// waits for, or a retry on another connection of the pool).
func (b *Backend) writeContext(ctx context.Context) context.Context {
	if ctx == nil {
		return context.Background()
	}
	if b.timeout > 0 {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// run makes one request through the breaker on a connection of the pool:
// build makes it for the space's ID, and the reply's data is decoded into
// result (nil: ignored). The request ends at the reply, at Timeout (the
// connection's own request timeout), or when ctx ends, whichever comes
// first; an error comes back wrapped for op.
func (b *Backend) run(ctx context.Context, op string, build func(space uint32) tarantool.Request, result any) error {
	done, err := b.breaker.Allow()
	if err != nil {
		return b.failed(ctx, op, err)
	}
	c, space, err := b.pick()
	if err == nil {
		err = wait(ctx, c.Do(build(space)), result)
	}
	done(outcome(ctx, err))
	if err != nil {
		if serverCode(err) == iproto.ER_NO_SUCH_SPACE {
			b.heal()
		}
		return b.failed(ctx, op, err)
	}
	return nil
}

// wait waits for fut's reply, or for ctx to end, and decodes the reply's
// data into result. A request the caller abandons is left to end by itself
// (at its reply or its timeout).
func wait(ctx context.Context, fut tarantool.Future, result any) error {
	if done := ctx.Done(); done != nil {
		select {
		case <-fut.WaitChan():
		case <-done:
			return context.Cause(ctx)
		}
	}
	var err error
	if result == nil {
		_, err = fut.GetResponse()
	} else {
		err = fut.GetTyped(result)
	}
	fut.Release()
	return err
}

// heal runs the ensure script again, in the background, after a request
// found the space gone (dropped by hand, or a server that lost its data
// without a reconnection): the calls fail until it is back.
func (b *Backend) heal() {
	if !b.healing.CompareAndSwap(false, true) {
		return
	}
	ok := b.group.Go(func() {
		defer b.healing.Store(false)
		c, _, err := b.pick()
		if err != nil {
			return
		}
		ctx, cancel := b.opContext(b.bg)
		defer cancel()
		var data []any
		data, err = c.Do(tarantool.NewEvalRequest(ensureLua).Args([]any{b.space}).Context(ctx)).Get()
		if err != nil {
			b.dialFailed(fmt.Errorf("space %q: %w", b.space, err))
			return
		}
		if len(data) > 0 {
			if id, ok := toUint32(data[0]); ok {
				b.spaceID.Store(id)
			}
		}
	})
	if !ok {
		b.healing.Store(false)
	}
}

// opContext bounds a background request by Timeout.
func (b *Backend) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if b.timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, b.timeout)
}

// Get returns the entry under key. A key the space does not hold, an entry
// past its deadline at Now, and a tuple whose value the Codec cannot
// decode (counted in Stats.DecodeErrors) are misses. When Tarantool fails,
// or the breaker is open, Get returns an error wrapping
// [backend.ErrUnavailable] (at once when the breaker is open or no
// connection is up). The returned Value is the caller's.
func (b *Backend) Get(ctx context.Context, key string) (backend.Entry, bool, error) {
	ctx, err := b.begin(ctx, "get", key)
	if err != nil {
		return backend.Entry{}, false, err
	}
	var res tuples
	err = b.run(ctx, "get", func(space uint32) tarantool.Request {
		return tarantool.NewSelectRequest(space).Index(primaryIndex).Iterator(tarantool.IterEq).Limit(1).Key(&keyArg{key})
	}, &res)
	if err != nil {
		return backend.Entry{}, false, err
	}
	if len(res.list) == 0 {
		b.ops.Misses.Add(1)
		return backend.Entry{}, false, nil
	}
	e, ok := b.decode(res.list[0])
	if !ok || e.Gone(b.now()) {
		b.ops.Misses.Add(1)
		return backend.Entry{}, false, nil
	}
	b.ops.Hits.Add(1)
	return e, true, nil
}

// decode decodes a stored tuple's value, counting a decode error for a
// tuple of another shape or bytes the Codec rejects.
func (b *Backend) decode(s stored) (backend.Entry, bool) {
	if !s.ok {
		b.ops.DecodeErrors.Add(1)
		return backend.Entry{}, false
	}
	e, err := b.codec.Decode(s.value)
	if err != nil {
		b.ops.DecodeErrors.Add(1)
		return backend.Entry{}, false
	}
	return e, true
}

// encoded pools the buffers Set encodes into; buffers above maxPooled are
// left to the garbage collector.
var encoded = sync.Pool{New: func() any { return new([]byte) }}

const maxPooled = 1 << 20

// Set stores e under key, replacing any previous entry. An entry already
// past its deadline at Now is not stored, and the previous entry stays (a
// no-op returning nil). With a Timeout (the default), Set does not heed
// the end of ctx: it runs to the reply or the timeout, as a write must to
// keep its order with later writes. A value larger than the server's
// memtx_max_tuple_size fails with an error wrapping [backend.ErrTooLarge].
// When Tarantool fails, or the breaker is open, Set returns an error
// wrapping [backend.ErrUnavailable] (at once when the breaker is open) and
// the write is lost.
func (b *Backend) Set(ctx context.Context, key string, e backend.Entry) error {
	ctx, err := b.begin(b.writeContext(ctx), "set", key)
	if err != nil {
		return err
	}
	if e.Keep < 0 {
		e.Keep = 0
	}
	if e.Gone(b.now()) {
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
	// The request is encoded during Do: raw may go back to the pool once
	// run returns, whatever became of the request.
	t := &tuple{key: key, deadline: deadlineField(e.Deadline(), b.margin), value: raw}
	err = b.run(ctx, "set", func(space uint32) tarantool.Request {
		return tarantool.NewReplaceRequest(space).Tuple(t)
	}, &tuples{keysOnly: true})
	if err != nil {
		return err
	}
	b.ops.Sets.Add(1)
	return nil
}

// Delete removes the entry under key and reports whether the space held it
// (a tuple past its deadline that the sweep has not dropped yet counts).
// Errors, and the context, are as for [Backend.Set].
func (b *Backend) Delete(ctx context.Context, key string) (bool, error) {
	ctx, err := b.begin(b.writeContext(ctx), "delete", key)
	if err != nil {
		return false, err
	}
	res := tuples{keysOnly: true}
	err = b.run(ctx, "delete", func(space uint32) tarantool.Request {
		return tarantool.NewDeleteRequest(space).Index(primaryIndex).Key(&keyArg{key})
	}, &res)
	if err != nil {
		return false, err
	}
	if len(res.list) == 0 {
		return false, nil
	}
	b.ops.Deletes.Add(1)
	return true, nil
}

// Stats returns the Backend's counters. Entries and Bytes are the space's
// number of tuples and their size as the last sweep found them (all the
// instances' entries, expired ones not yet swept included), or -1 before
// the first sweep.
func (b *Backend) Stats() backend.Stats {
	return b.ops.Stats(b.label, b.entries.Load(), b.bytes.Load())
}

// Close stops the sweep and the connection attempts, waits for them, and
// closes the connections; requests in flight fail. When ctx ends first,
// Close returns ctx's error and the connections are closed once those
// goroutines end. The first call returns nil or the errors closing the
// connections; Close is idempotent: later calls return nil. Every other
// method afterwards returns an error wrapping [backend.ErrClosed]; Stats
// and Label still work.
func (b *Backend) Close(ctx context.Context) error {
	if !store.MarkClosed(&b.mu, &b.closed, &b.group, nil) {
		return nil
	}
	b.cancelBG()
	return lifecycle.CloseWith(ctx, b.label, &b.group, func() error {
		var errs []error
		for i := range b.conns {
			if c := b.conns[i].Swap(nil); c != nil {
				if err := c.Close(); err != nil {
					errs = append(errs, err)
				}
			}
		}
		return errors.Join(errs...)
	})
}

var (
	_ backend.Backend       = (*Backend)(nil)
	_ backend.Lister        = (*Backend)(nil)
	_ backend.Purger        = (*Backend)(nil)
	_ backend.StatsReporter = (*Backend)(nil)
	_ backend.Labeled       = (*Backend)(nil)
	_ backend.Tagger        = (*Backend)(nil)
)
