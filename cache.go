package hitbox

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/maypok86/otter/v2"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/sync/singleflight"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/internal/lifecycle"
	"github.com/hitbox-go/hitbox/offload"
)

// Request is one cache lookup.
type Request struct {
	// Key is the encoded key (see [Key.Encode]); it must not be empty.
	Key string
	// Policy says whether and how the answer is cached.
	Policy Policy
	// Endpoint names the request's endpoint in events and metrics.
	Endpoint string
	// Timeout, when positive, bounds this call's shared upstream call
	// instead of the Cache's default ([WithUpstreamTimeout]); it bounds
	// the wait for another instance's lock too, after which the upstream
	// call gets a Timeout of its own.
	Timeout time.Duration
}

// Fetched is what an upstream call produced.
type Fetched struct {
	// Value is the answer's bytes: stored and shared with the callers
	// waiting on the same key when Store is true.
	Value []byte
	// Store says the answer may be stored (the response predicates held).
	Store bool
	// Failed marks an answer that is an upstream failure (for HTTP: a 500,
	// 502, 503 or 504 that is not stored). It is never stored; the callers
	// waiting on the same shared call get it (Value) as their answer rather
	// than asking the upstream once each, and it lets a policy's
	// StaleIfError serve an entry instead. Store and Failed exclude each
	// other: Store wins.
	Failed bool
	// Fresh and TTL, when TTL is positive, are this answer's own
	// lifetime, used instead of the policy's Stale and TTL (an HTTP
	// response's freshness under RFC 9111, say): the entry is fresh for
	// Fresh after it is written (zero: stale at once) and expires TTL
	// after it is written; between the two it is stale, served as the
	// policy's StaleMode says. Both are capped by the policy's TTL when it
	// has one (the policy bounds what an answer may ask for); the policy's
	// Jitter does not apply; Keep and StaleIfError still come from the
	// policy. A zero TTL means the policy's times.
	Fresh, TTL time.Duration
	// Tags, optional, are stored with the answer (see backend.Entry.Tags):
	// [Cache.InvalidateTags] of any of them invalidates the entry.
	Tags []string
	// stored, when set, is given the entry made of this answer before it
	// is written (Typed fills its in-process layer with it).
	stored func(backend.Entry)
}

// Fetch asks the upstream. It may run after the caller that passed it has
// returned, on another goroutine (background refreshes, shared calls), so it
// must not touch the caller's response writer or other per-call state
// unless that state guards itself against a caller that is gone; its
// context carries the shared call's own deadline.
//
// A flight carries bytes only. What does not fit in Value (a response
// streamed through because it was too large, say) goes from the fetch to
// its own caller through state the caller owns: the caller uses it when
// the [Result] is a Miss made by its own fetch (not Collapsed, not
// StaleIfError) and releases it otherwise, and it must release anything
// the fetch leaves there after the caller stopped waiting.
type Fetch func(ctx context.Context) (Fetched, error)

// Result is how a call was answered.
type Result struct {
	// Value is the answer's bytes (shared: read-only).
	Value []byte
	// Status is HIT, STALE or MISS.
	Status Status
	// Forward says why the upstream was asked (zero when it was not).
	Forward Forward
	// Stored reports that the upstream's answer was written to the cache.
	Stored bool
	// Collapsed reports an answer taken from another caller's upstream
	// call.
	Collapsed bool
	// StaleIfError reports a stale entry served because the upstream
	// failed.
	StaleIfError bool
	// Failed reports an answer that the upstream marked failed
	// ([Fetched.Failed]): Value holds it, and it was not stored. Every
	// caller of the shared call gets it (Status Miss, not Collapsed).
	Failed bool
	// Source is the label of the backend that answered a hit.
	Source string
	// Written and Expire are the served or stored entry's times (zero
	// Expire: never expires).
	Written, Expire time.Time
}

// Age returns how long ago the served entry was written, at now.
func (r Result) Age(now time.Time) time.Duration {
	if r.Written.IsZero() {
		return 0
	}
	return now.Sub(r.Written)
}

// TTL returns how long until the served entry expires at now (negative
// once expired), and false when it never expires.
func (r Result) TTL(now time.Time) (time.Duration, bool) {
	if r.Expire.IsZero() {
		return 0, false
	}
	return r.Expire.Sub(now), true
}

// Cache is the request flow over one backend: lookup → fresh / stale /
// expired → stampede guard → upstream → store. It is safe for concurrent
// use. A backend error never fails a call: reads that fail are misses and
// writes that fail are counted.
type Cache struct {
	b      backend.Backend
	source string
	locker backend.Locker
	noLock atomic.Bool // the locker answered ErrUnsupported: never ask again
	cfg    config
	owned  *offload.Runner // runner made by New, shut down with the Cache

	flights singleflight.Group
	seq     uint64 // slot counter for Concurrency > 1; guarded by seqMu
	seqMu   sync.Mutex

	track lifecycle.Group // shared calls in flight
	retry retryGate       // keys whose upstream failed recently (StaleIfError)

	coarseMu sync.Mutex         // guards coarse
	coarse   *otter.CoarseClock // the clock of Typed's in-process layers (nil until one needs it)

	layersMu sync.Mutex                 // guards layers
	layers   []weak.Pointer[layerMarks] // the tag marks of Typed's in-process layers, held weakly
}

// New returns a Cache over b. An option given an invalid value makes New
// return an error wrapping [ErrInvalidOption].
func New(b backend.Backend, opts ...Option) (*Cache, error) {
	if b == nil {
		return nil, ErrNilBackend
	}
	c := &Cache{b: b, source: backend.Label(b)}
	for _, o := range opts {
		if o != nil {
			o(&c.cfg)
		}
	}
	if err := errors.Join(c.cfg.errs...); err != nil {
		return nil, err
	}
	c.cfg.defaults()
	if c.source == "" {
		c.source = backend.DefaultLabel
	}
	if l, ok := b.(backend.Locker); ok {
		c.locker = l
	}
	if c.cfg.offload == nil {
		r, err := offload.New(offload.Options{Logger: c.cfg.logger})
		if err != nil {
			return nil, fmt.Errorf("hitbox: offload runner: %w", err)
		}
		c.owned, c.cfg.offload = r, r
	}
	return c, nil
}

// Backend returns the backend the Cache reads and writes.
func (c *Cache) Backend() backend.Backend { return c.b }

// Clock returns the Cache's time source.
func (c *Cache) Clock() Clock { return c.cfg.clock }

// Delete removes the entry under key.
func (c *Cache) Delete(ctx context.Context, key string) (bool, error) {
	if key == "" {
		return false, ErrEmptyKey
	}
	return c.b.Delete(orBackground(ctx), key)
}

// Close waits for shared upstream calls and stores in flight and, when
// the Cache made its own offload runner, for background work; it returns
// ctx.Err() if ctx ends first. It also stops the coarse clock of its
// Typeds' in-process layers (which then read the precise time). It does
// not close the backend. Close is idempotent: calling it again waits
// again, and returns nil once nothing runs. Calls made after Close still
// work, but their background work is dropped.
func (c *Cache) Close(ctx context.Context) error {
	ctx = orBackground(ctx)
	var errs []error
	if c.owned != nil {
		errs = append(errs, c.owned.Close(ctx))
	}
	errs = append(errs, c.track.Wait(ctx))
	c.stopCoarse()
	return errors.Join(errs...)
}

// Do answers req from the cache or, through fetch, from the upstream, as
// req.Policy says. It returns an error only when the upstream failed (and
// no stale entry could stand in), when ctx ended while waiting, or when the
// call itself is invalid (empty key, nil fetch).
//
// The callers of one key share one upstream call (see [Policy.Concurrency]).
// When it fails, they all get its failure and none asks the upstream
// again: the fetch's error (with Result{Status: Miss, Forward: fwd}), or,
// for an answer marked [Fetched.Failed], Result{Status: Miss, Forward: fwd,
// Failed: true, Value: the answer's bytes} and a nil error. When the shared answer succeeded
// but may not be stored, each waiting caller asks the upstream itself.
//
// Under [Policy.StaleIfError], a failure (either kind) is answered instead
// with the entry the lookup found, when it is stale or expired less than
// StaleIfError ago: Result{Status: Stale, StaleIfError: true, Forward: fwd}
// with the entry's value and times, recorded as [EventStaleIfError]. For
// the retry interval that follows ([WithStaleIfErrorRetry]), further calls
// for the key are answered the same way at once, without asking the
// upstream (Forward zero); the first call after it tries the upstream
// again.
//
// When req.Policy is Disabled, fetch runs on the caller's goroutine with
// the caller's context before Do returns, so it may write to the caller's
// response directly.
func (c *Cache) Do(ctx context.Context, req Request, fetch Fetch) (res Result, err error) {
	ctx = orBackground(ctx)
	if c.cfg.tracer != nil {
		var span trace.Span
		ctx, span = c.startSpan(ctx, SpanDo, false, req.Endpoint)
		defer func() { endDo(span, res, err) }()
	}
	if fetch == nil {
		return Result{}, ErrNilFetch
	}
	rec := c.cfg.recorder
	if req.Policy.Disabled {
		rec.Record(Event{Kind: EventBypass, Endpoint: req.Endpoint})
		return c.direct(ctx, req, fetch, ForwardBypass)
	}
	if req.Key == "" {
		return Result{}, ErrEmptyKey
	}
	if req.Policy.invalid() {
		return Result{}, req.Policy.Validate()
	}
	return c.after(ctx, req, fetch, c.lookup(ctx, req))
}

// found is what lookup found.
type found struct {
	res Result // set (Status != 0) when the lookup answered the call
	e   backend.Entry
	ok  bool
	src string
}

// after goes on from a lookup that did not answer: revalidation, or the
// guarded upstream call.
func (c *Cache) after(ctx context.Context, req Request, fetch Fetch, f found) (Result, error) {
	switch {
	case f.res.Status != 0:
		return f.res, nil
	case !f.ok:
		return c.guarded(ctx, req, fetch, ForwardMiss, f)
	case f.e.State(c.cfg.clock.Now()) == backend.Stale && req.Policy.staleMode() == StaleOffloadRevalidate:
		c.revalidate(ctx, req, fetch)
		c.cfg.recorder.Record(Event{Kind: EventStale, Endpoint: req.Endpoint, Source: f.src})
		return fromEntry(f.e, Stale, f.src), nil
	}
	// Expired, or stale under Revalidate: while the key's upstream is
	// failing, the entry answers until the next try.
	if res, ok := c.retrying(req, f); ok {
		return res, nil
	}
	return c.guarded(ctx, req, fetch, ForwardStale, f)
}

// lookup reads the key. It answers (res.Status != 0) a fresh entry, and a
// stale one under StaleReturn; otherwise it returns what it found, if
// anything, recording a miss unless the entry is stale under
// StaleOffloadRevalidate (served as stale by Do).
func (c *Cache) lookup(ctx context.Context, req Request) found {
	rec := c.cfg.recorder
	now := c.cfg.clock.Now()
	e, ok, src, _ := c.read(ctx, req, now)
	f := found{e: e, ok: ok, src: src}
	if !ok {
		rec.Record(Event{Kind: EventMiss, Endpoint: req.Endpoint, Source: src})
		return f
	}
	switch e.State(now) {
	case backend.Fresh:
		rec.Record(Event{Kind: EventHit, Endpoint: req.Endpoint, Source: src})
		f.res = fromEntry(e, Hit, src)
		return f
	case backend.Stale:
		switch req.Policy.staleMode() {
		case StaleReturn:
			rec.Record(Event{Kind: EventStale, Endpoint: req.Endpoint, Source: src})
			f.res = fromEntry(e, Stale, src)
			return f
		case StaleOffloadRevalidate:
			return f
		}
	}
	rec.Record(Event{Kind: EventMiss, Endpoint: req.Endpoint, Source: src})
	return f
}

// direct calls the upstream without the cache.
func (c *Cache) direct(ctx context.Context, req Request, fetch Fetch, fwd Forward) (Result, error) {
	f, err := c.callUpstream(ctx, req, fetch)
	if err != nil {
		return Result{Status: Miss, Forward: fwd}, err
	}
	return Result{Value: f.Value, Status: Miss, Forward: fwd, Failed: f.Failed && !f.Store}, nil
}

func fromEntry(e backend.Entry, s Status, src string) Result {
	return Result{Value: e.Value, Status: s, Source: src, Written: e.Written, Expire: e.Expire}
}

// read looks the key up; a backend error is a miss, counted. invalid is
// the write time of a tagged entry it found invalidated by a tag purge
// (a miss too), zero otherwise.
func (c *Cache) read(ctx context.Context, req Request, now time.Time) (e backend.Entry, ok bool, src string, invalid time.Time) {
	if c.cfg.backendTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.backendTimeout)
		defer cancel()
	}
	var err error
	src = c.source
	if c.cfg.tracer != nil {
		var span trace.Span
		ctx, span = c.startSpan(ctx, SpanBackendGet, true, req.Endpoint)
		defer func() { endRead(span, err, src, ok) }()
	}
	var label string
	e, ok, label, err = backend.GetLabeled(ctx, c.b, req.Key)
	if label != "" {
		src = label
	}
	if err != nil {
		c.cfg.recorder.Record(Event{Kind: EventReadError, Endpoint: req.Endpoint, Source: src, Err: err})
		c.cfg.logger.Warn("hitbox: cache read failed", "key", req.Key, "backend", src, "err", err)
		return backend.Entry{}, false, src, time.Time{}
	}
	if ok && e.Gone(now) {
		return backend.Entry{}, false, src, time.Time{}
	}
	if ok && len(e.Tags) > 0 && c.tagged(ctx, req, e, src) {
		return backend.Entry{}, false, src, e.Written
	}
	return e, ok, src, time.Time{}
}

// entry builds the entry to store for value under policy p at now: with
// the answer's own lifetime when it has one (Fetched.TTL), else the
// policy's.
func (c *Cache) entry(now time.Time, p Policy, f Fetched) backend.Entry {
	if f.TTL > 0 {
		return ownLifetime(now, p, f)
	}
	ttl, stale := p.TTL, p.Stale
	if p.Jitter > 0 {
		j := rand.N(p.Jitter)
		if ttl > 0 {
			ttl += j
		}
		if stale > 0 {
			stale += j
		}
	}
	e := backend.Entry{Value: f.Value, Tags: f.Tags, Written: now}
	if ttl > 0 {
		e.Expire = now.Add(ttl)
		e.Keep = p.keep()
	}
	if stale > 0 && (ttl == 0 || stale < ttl) {
		e.Stale = now.Add(stale)
	}
	return e
}

// ownLifetime builds the entry of an answer with its own lifetime
// (Fetched.Fresh and TTL), capped by the policy's TTL.
func ownLifetime(now time.Time, p Policy, f Fetched) backend.Entry {
	ttl, fresh := f.TTL, max(f.Fresh, 0)
	if p.TTL > 0 {
		ttl, fresh = min(ttl, p.TTL), min(fresh, p.TTL)
	}
	e := backend.Entry{Value: f.Value, Tags: f.Tags, Written: now, Expire: now.Add(ttl), Keep: p.keep()}
	if fresh < ttl {
		e.Stale = now.Add(fresh)
	}
	return e
}

// write stores e under the request's key, detached from the caller's
// cancellation; it reports success, counting failures.
func (c *Cache) write(ctx context.Context, req Request, e backend.Entry) bool {
	ctx = context.WithoutCancel(ctx)
	if c.cfg.backendTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.backendTimeout)
		defer cancel()
	}
	err := c.set(ctx, req, e)
	if err != nil {
		c.cfg.recorder.Record(Event{Kind: EventWriteError, Endpoint: req.Endpoint, Source: c.source, Err: err})
		c.cfg.logger.Warn("hitbox: cache write failed", "key", req.Key, "backend", c.source, "err", err)
		return false
	}
	c.cfg.recorder.Record(Event{Kind: EventStored, Endpoint: req.Endpoint, Source: c.source})
	return true
}

func orBackground(ctx context.Context) context.Context {
	if ctx == nil {
		return context.Background()
	}
	return ctx
}
