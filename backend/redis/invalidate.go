package redis

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hitbox-go/hitbox/backend"
)

// DefaultHealthCheck is how long an [Invalidator] waits for a message
// before it pings its connection, when InvalidatorOptions.HealthCheck is
// zero.
const DefaultHealthCheck = time.Second

// InvalidatorOptions configures an [Invalidator].
type InvalidatorOptions struct {
	// Client subscribes; required. The Invalidator takes one connection
	// of it for itself.
	Client goredis.UniversalClient
	// Channel is the pub/sub channel to listen to; required.
	Channel string
	// InstanceID is the ID of this instance's publisher: its own messages
	// are ignored. Empty ignores none.
	InstanceID string
	// OnDelete is called with the keys another instance overwrote or
	// deleted; OnPurge with the prefix of another instance's purge ("" for
	// all keys). Both are called from the Invalidator's goroutine, one
	// call at a time; nil ignores those messages.
	OnDelete func(keys []string)
	OnPurge  func(prefix string)
	// OnTags is called with the tags another instance invalidated and
	// the time it gave ([Backend.InvalidateTags]), like OnDelete; nil
	// ignores those messages.
	OnTags func(tags []string, at time.Time)
	// OnReady, when set, is called once the first subscription is in
	// place, from the Invalidator's goroutine, before Ready's channel
	// closes: what happened before the subscription is not announced
	// to it, and OnReady may catch up with it.
	OnReady func()
	// OnReconnect is called when the subscription was lost and made
	// again: messages may have been missed meanwhile. Nil calls OnPurge("")
	// (when set), dropping everything the messages protect.
	OnReconnect func()
	// HealthCheck is how long the Invalidator waits for a message before
	// it pings, and then how long it waits for the answer before it drops
	// the connection and subscribes again; zero means [DefaultHealthCheck]
	// (1s).
	HealthCheck time.Duration
	// Label names the Invalidator in metrics and logs ([Invalidator.Label]);
	// empty: "redis".
	Label string
}

// InvalidatorStats counts what an [Invalidator] received.
type InvalidatorStats struct {
	// Messages counts the messages received; Own those of this instance
	// (ignored) and Malformed those that could not be read (ignored).
	Messages, Own, Malformed uint64
	// Keys counts the keys passed to OnDelete, Purges the calls of
	// OnPurge for purge messages, Tags the tag invalidation messages,
	// each once its callback returned (a caller that sees a count has
	// seen its effect).
	Keys, Purges, Tags uint64
	// Reconnects counts the subscriptions made again after a loss, each
	// once its OnReconnect call returned.
	Reconnects uint64
}

// Invalidator listens to a channel on which [Backend]s announce their
// writes and passes the keys other instances changed to its callbacks: the
// receiving side of the L1 invalidation (see [Backend.Subscribe]). It runs
// one goroutine until Close, subscribing again (with a growing delay, up to
// 2s) whenever its connection fails.
type Invalidator struct {
	client      goredis.UniversalClient
	channel     string
	self        string
	onDelete    func([]string)
	onPurge     func(string)
	onTags      func([]string, time.Time)
	onReady     func()
	onReconnect func()
	health      time.Duration
	label       string

	ctx    context.Context
	cancel context.CancelFunc
	ready  chan struct{} // closed at the first subscription
	done   chan struct{} // closed when run returns
	once   sync.Once     // closes ready

	mu     sync.Mutex      // guards ps and closed
	ps     *goredis.PubSub // the current subscription
	closed bool

	messages, own, malformed, keys, purges, tags, reconnects atomic.Uint64
}

// NewInvalidator starts an Invalidator, or returns an error for invalid
// options. It returns at once; [Invalidator.Ready] tells when the
// subscription is in place.
func NewInvalidator(o InvalidatorOptions) (*Invalidator, error) {
	return newInvalidator(context.Background(), o)
}

func newInvalidator(parent context.Context, o InvalidatorOptions) (*Invalidator, error) {
	switch {
	case o.Client == nil:
		return nil, errors.New("redis: invalidator: nil Client")
	case o.Channel == "":
		return nil, errors.New("redis: invalidator: empty Channel")
	case o.HealthCheck < 0:
		return nil, fmt.Errorf("redis: invalidator: negative HealthCheck %v", o.HealthCheck)
	}
	if o.HealthCheck == 0 {
		o.HealthCheck = DefaultHealthCheck
	}
	if o.OnReconnect == nil && o.OnPurge != nil {
		purge := o.OnPurge
		o.OnReconnect = func() { purge("") }
	}
	i := &Invalidator{
		client:      o.Client,
		channel:     o.Channel,
		self:        o.InstanceID,
		onDelete:    o.OnDelete,
		onPurge:     o.OnPurge,
		onTags:      o.OnTags,
		onReady:     o.OnReady,
		onReconnect: o.OnReconnect,
		health:      o.HealthCheck,
		label:       cmp.Or(o.Label, "redis"),
		ready:       make(chan struct{}),
		done:        make(chan struct{}),
	}
	i.ctx, i.cancel = context.WithCancel(parent)
	go i.run()
	return i, nil
}

// Label returns the Invalidator's label: [InvalidatorOptions.Label], or the
// label of the Backend that [Backend.Subscribe] made it from.
func (i *Invalidator) Label() string { return i.label }

// Ready returns a channel closed once the Invalidator has subscribed for
// the first time: messages published from then on reach it.
func (i *Invalidator) Ready() <-chan struct{} { return i.ready }

// Stats returns the Invalidator's counters.
func (i *Invalidator) Stats() InvalidatorStats {
	return InvalidatorStats{
		Messages:   i.messages.Load(),
		Own:        i.own.Load(),
		Malformed:  i.malformed.Load(),
		Keys:       i.keys.Load(),
		Purges:     i.purges.Load(),
		Tags:       i.tags.Load(),
		Reconnects: i.reconnects.Load(),
	}
}

// Close unsubscribes and waits for the Invalidator's goroutine (and so for
// a callback in progress) to end, or for ctx to end (then it returns ctx's
// error and the goroutine ends on its own). It is idempotent: once the
// goroutine ended, every call returns nil.
func (i *Invalidator) Close(ctx context.Context) error {
	i.cancel()
	i.mu.Lock()
	i.closed = true
	if i.ps != nil {
		_ = i.ps.Close()
	}
	i.mu.Unlock()
	if ctx == nil {
		ctx = context.Background()
	}
	select {
	case <-i.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("redis invalidator: close: %w", ctx.Err())
	}
}

// run subscribes, serves the subscription until it fails, and subscribes
// again until Close.
func (i *Invalidator) run() {
	defer close(i.done)
	subscribed := false
	delay := 50 * time.Millisecond
	for {
		i.mu.Lock()
		if i.closed {
			i.mu.Unlock()
			return
		}
		ps := i.client.Subscribe(i.ctx, i.channel)
		i.ps = ps
		i.mu.Unlock()
		got := i.serve(ps, &subscribed)
		_ = ps.Close()
		if got {
			delay = 50 * time.Millisecond
		}
		t := time.NewTimer(delay)
		select {
		case <-i.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		delay = min(2*delay, 2*time.Second)
	}
}

// serve reads the subscription until it fails, and reports whether it
// received anything.
func (i *Invalidator) serve(ps *goredis.PubSub, subscribed *bool) (got bool) {
	pinged := false
	for {
		m, err := ps.ReceiveTimeout(i.ctx, i.health)
		if err != nil {
			if i.ctx.Err() != nil || !isTimeout(err) || pinged {
				return got
			}
			// Quiet for a while: make sure the connection still
			// works.
			if ps.Ping(i.ctx) != nil {
				return got
			}
			pinged = true
			continue
		}
		got, pinged = true, false
		switch m := m.(type) {
		case *goredis.Subscription:
			if m.Kind != "subscribe" || m.Channel != i.channel {
				continue
			}
			if *subscribed {
				// Counted once OnReconnect (the L1 purge) is done, so
				// that whoever sees the count finds the purge made.
				if i.onReconnect != nil {
					i.onReconnect()
				}
				i.reconnects.Add(1)
			}
			if !*subscribed && i.onReady != nil {
				i.onReady()
			}
			*subscribed = true
			i.once.Do(func() { close(i.ready) })
		case *goredis.Message:
			i.handle(m.Payload)
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// handle passes one message to the callbacks.
func (i *Invalidator) handle(payload string) {
	i.messages.Add(1)
	n, err := parseMessage(payload)
	switch {
	case err != nil:
		i.malformed.Add(1)
	case i.self != "" && n.from == i.self:
		i.own.Add(1)
	case n.op == opKeys:
		if i.onDelete != nil && len(n.keys) > 0 {
			i.onDelete(n.keys)
		}
		i.keys.Add(uint64(len(n.keys)))
	case n.op == opPurge:
		if i.onPurge != nil {
			i.onPurge(n.prefix)
		}
		i.purges.Add(1)
	case n.op == opTags:
		if i.onTags != nil && len(n.keys) > 0 {
			i.onTags(n.keys, backend.MarkTime(n.at))
		}
		i.tags.Add(1)
	}
}

// Subscribe keeps l1, the upper layer over this Backend in a composition
// (typically a memory backend), coherent with the writes of other
// instances: it returns a running [Invalidator] on [Options.Channel] that
// deletes from l1 every key another instance's Backend (with the same
// Channel) overwrote or deleted, purges l1 under every prefix another
// instance purged, and purges all of l1 after its subscription was lost and
// made again. Writes of this Backend itself are ignored: the composition
// wrote its own L1 already. When l1 implements [backend.Tagger], it also
// records the tag invalidations of other instances ([Backend.InvalidateTags]),
// and, once subscribed (before Ready closes) and again after a lost
// subscription, every mark the hash holds ([Backend.Marks]): l1's marks
// then stand for the fleet's, so that an entry served from l1 is checked
// against them without a round trip to Redis (see the composition's
// TagsInvalidatedLabeled). Subscribe returns at once; the Invalidator's
// Ready channel closes when the subscription is in place (announcements
// made before are not received). Close the Invalidator when done; Close of
// the Backend closes it too.
//
// The wiring of an instance:
//
//	l2, _ := redis.New(redis.Options{URL: url, Channel: "hitbox:invalidate"})
//	l1, _ := memory.New(memory.Options{MaxBytes: 64 << 20})
//	c, _ := composition.New(l1, l2, composition.Options{})
//	inv, _ := l2.Subscribe(l1)
//	defer inv.Close()
//
// What a reader may see: after instance A overwrites or deletes a key, a
// reader on instance B may still get B's L1 copy until A's message arrives
// (the publish is pipelined with the write, so usually well under a
// millisecond on a LAN). Pub/sub delivers at most once: a message lost
// while B's subscription is down is made up for by the purge of B's L1
// when B subscribes again, but a write A makes while A cannot reach Redis
// is announced to nobody, and a read of B that refills its L1 from L2 just
// before A's write lands may put the old value back after the message has
// passed. In those rare cases B serves its L1 copy until that entry
// expires or is evicted: keep the L1 small, and its TTLs short where the
// freshness matters.
//
// With [Options.TagRetention], l1 loads the marks Redis kept, not the
// floor that pruning left (l1 takes marks through [backend.Tagger], which
// has no floor): an entry written before the floor reaches l1 only from
// this Backend, refilled by a composition on a read that checks it against
// Redis's marks and floor and then deletes it, and until that delete l1
// may serve it on another hit. With TagRetention above the lifetime of
// every tagged entry, as its doc asks, no entry outlives the floor and
// this cannot happen.
//
// Failures of l1 are ignored (counted by l1 itself). Subscribe returns an
// error when the Backend has no Channel or is closed.
func (b *Backend) Subscribe(l1 backend.Backend) (*Invalidator, error) {
	if l1 == nil {
		return nil, errors.New("redis: subscribe: nil L1")
	}
	if b.channel == "" {
		return nil, errors.New("redis: subscribe: Options.Channel is empty: the Backend announces nothing")
	}
	timeout := b.opTimeout
	if timeout <= 0 {
		timeout = DefaultOpTimeout
	}
	drop := func(keys []string) {
		for _, k := range keys {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			_, _ = l1.Delete(ctx, k)
			cancel()
		}
	}
	purge := func(prefix string) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*timeout)
		defer cancel()
		_, _ = backend.PurgePrefix(ctx, l1, prefix)
	}
	var (
		onTags    func([]string, time.Time)
		loadMarks = func() {}
	)
	if tg, ok := l1.(backend.Tagger); ok {
		onTags = func(tags []string, at time.Time) {
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			_ = tg.InvalidateTags(ctx, tags, at)
		}
		loadMarks = func() {
			ctx, cancel := context.WithTimeout(b.bg, 10*timeout)
			defer cancel()
			_ = b.Marks(ctx, func(tag string, at time.Time) {
				_ = tg.InvalidateTags(ctx, []string{tag}, at)
			})
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed.Load() {
		return nil, fmt.Errorf("%s: subscribe: %w", b.label, backend.ErrClosed)
	}
	inv, err := newInvalidator(b.bg, InvalidatorOptions{
		Client:      b.client,
		Channel:     b.channel,
		InstanceID:  b.instanceID,
		OnDelete:    drop,
		OnPurge:     purge,
		OnTags:      onTags,
		OnReady:     loadMarks,
		OnReconnect: func() { purge(""); loadMarks() },
		Label:       b.label,
	})
	if err != nil {
		return nil, err
	}
	b.subs = append(b.subs, inv)
	return inv, nil
}
