package hitbox

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hitbox-go/hitbox/backend"
)

// Codec turns values of type T into the bytes a backend stores, and back.
type Codec[T any] interface {
	Marshal(v T) ([]byte, error)
	Unmarshal(b []byte) (T, error)
}

// JSONCodec is the [Codec] that uses encoding/json.
type JSONCodec[T any] struct{}

// Marshal returns v as JSON.
func (JSONCodec[T]) Marshal(v T) ([]byte, error) { return json.Marshal(v) }

// Unmarshal decodes JSON into a new T.
func (JSONCodec[T]) Unmarshal(b []byte) (T, error) {
	var v T
	err := json.Unmarshal(b, &v)
	return v, err
}

// Typed is the cache-aside API for Go values: GetOrFetch returns the cached
// value for a key or calls the function that makes it, on the same flow,
// policies, statuses and backends as the HTTP faces (stale-while-revalidate,
// one upstream call per key). It is safe for concurrent use.
//
// By default a Typed keeps the values it fetched or decoded in an
// in-process layer ([Local]) in front of the byte flow, and answers a hit on
// a fresh value from there, with no encoding at all. A tagged value
// ([TypedOptions.Tags]) is checked against the tag purges the layer heard
// of ([Cache.InvalidateTags] on its Cache, [Typed.InvalidateTags]): one
// known current before a purge of one of its tags is not answered from
// the layer but goes through the flow. Values are handed out as stored:
// see [Typed.GetOrFetch].
type Typed[T any] struct {
	c        *Cache
	codec    Codec[T]
	policy   Policy
	ns       string
	endpoint string
	prefix   []byte                        // the encoded key up to the id's value
	local    *local[T]                     // nil when the layer is off
	record   bool                          // the Cache has a Recorder: layer hits are recorded
	tags     func(id string, v T) []string // TypedOptions.Tags
}

// TypedOptions configures a [Typed].
type TypedOptions[T any] struct {
	// Policy applies to every key (zero: enabled, never expires).
	Policy Policy
	// Codec encodes values for the backend (nil: [JSONCodec]).
	Codec Codec[T]
	// Namespace prefixes every key, keeping this Typed's keys apart from
	// others on the same backend ("" : none).
	Namespace string
	// Endpoint names this Typed in events and metrics (default: the
	// namespace).
	Endpoint string
	// Local configures the in-process layer of values (zero: on, bounded
	// by [DefaultLocalMaxBytes]).
	Local Local[T]
	// Tags, when set, returns the tags of the value fetched for id, stored
	// with its entry ([Fetched.Tags]): [Cache.InvalidateTags] of any of
	// them (and hitboxd's purge by tag) invalidates it, in the backend
	// and in the in-process layer. Nil: values carry no tags.
	Tags func(id string, v T) []string
	// Shared is ignored.
	//
	// Deprecated: the in-process layer ([Local]), on by default over
	// every backend, hands out the stored values without decoding, as
	// Shared did for memory backends.
	Shared bool
}

// NewTyped returns a Typed over c. It returns an error for a nil c, an
// invalid policy or invalid Local options.
func NewTyped[T any](c *Cache, o TypedOptions[T]) (*Typed[T], error) {
	if c == nil {
		return nil, fmt.Errorf("hitbox: NewTyped: nil cache")
	}
	if err := o.Policy.Validate(); err != nil {
		return nil, err
	}
	if o.Codec == nil {
		o.Codec = JSONCodec[T]{}
	}
	if o.Endpoint == "" {
		o.Endpoint = o.Namespace
	}
	prefix := Key{Namespace: o.Namespace, Parts: []KeyPart{Part("id", "")}}.AppendURLEncoded(nil)
	_, nop := c.cfg.recorder.(nopRecorder)
	t := &Typed[T]{c: c, codec: o.Codec, policy: o.Policy, ns: o.Namespace, endpoint: o.Endpoint, prefix: prefix, record: !nop, tags: o.Tags}
	if !o.Local.Off {
		l, err := newLocal(c, o.Local, o.Policy)
		if err != nil {
			return nil, fmt.Errorf("hitbox: NewTyped: %w", err)
		}
		t.local = l
	}
	return t, nil
}

// Key returns the encoded key GetOrFetch stores id under.
func (t *Typed[T]) Key(id string) string {
	var buf [128]byte
	return string(appendEscaped(append(buf[:0], t.prefix...), id))
}

// GetOrFetch returns the value cached under id, or calls fetch (once per key
// across concurrent callers) and caches what it returns. A value that the
// codec cannot decode is a miss. The Result says how the call was answered.
//
// A fresh value in the in-process layer (a tagged one unless a purge the
// layer heard of hides it) is answered from there (Status
// Hit, Source the label of the backend the value was read from or written
// to, Written and Expire its entry's times); any other call goes through
// the flow, with its statuses, stale-while-revalidate and stale-if-error,
// and fills the layer.
//
// The value returned is the one the layer holds (unless [Local.Clone] is
// set): a copy of T whose pointers, slices and maps are shared with other
// callers. Callers must not modify what they point to.
func (t *Typed[T]) GetOrFetch(ctx context.Context, id string, fetch func(ctx context.Context) (T, error)) (T, Result, error) {
	var zero T
	if fetch == nil {
		return zero, Result{}, ErrNilFetch
	}
	if t.policy.Disabled {
		v, err := fetch(ctx)
		return v, Result{Status: Miss, Forward: ForwardBypass}, err
	}
	if l := t.local; l != nil {
		if e, ok := l.c.GetIfPresent(id); ok && l.now() < e.fresh && (len(e.tags) == 0 || l.marks.current(e.tags, e.since)) {
			if t.record {
				t.c.cfg.recorder.Record(Event{Kind: EventHit, Endpoint: t.endpoint, Source: e.src})
			}
			v := e.v
			if l.clone != nil {
				v = l.clone(v)
			}
			return v, Result{Status: Hit, Source: e.src, Written: e.written, Expire: e.expire}, nil
		}
	}
	return t.viaFlow(orBackground(ctx), id, fetch)
}

// viaFlow answers a call the in-process layer could not.
func (t *Typed[T]) viaFlow(ctx context.Context, id string, fetch func(ctx context.Context) (T, error)) (T, Result, error) {
	var zero T
	req := Request{Key: t.Key(id), Policy: t.policy, Endpoint: t.endpoint}
	if req.Policy.invalid() {
		return zero, Result{}, req.Policy.Validate()
	}
	for attempt := 0; ; attempt++ {
		// A hit is answered without building the fetch closure.
		f := t.c.lookup(ctx, req)
		res, err := f.res, error(nil)
		if res.Status == 0 {
			res, err = t.c.after(ctx, req, t.fetcher(id, fetch), f)
		}
		if err != nil {
			return zero, res, err
		}
		if t.local != nil {
			if v, ok := t.local.match(id, res.Written); ok {
				return t.local.out(v), res, nil
			}
		}
		v, err := t.codec.Unmarshal(res.Value)
		if err == nil {
			// The entry the lookup read fills the layer; others (a shared
			// call's) filled it when they were stored, or are rare (another
			// instance's, found by the shared call's re-check).
			if t.local != nil && f.ok && !res.Written.IsZero() && res.Written.Equal(f.e.Written) {
				t.local.put(id, v, f.e, res.Source, f.e.Written)
			}
			return v, res, nil
		}
		if res.Status == Miss || attempt > 0 {
			return zero, res, fmt.Errorf("hitbox: decode value: %w", err)
		}
		// Cached bytes that are not ours or are corrupted: a miss.
		// Drop them and go once more through the flow.
		_, _ = t.Delete(ctx, id)
	}
}

// fetcher adapts a value loader to the flow's Fetch; the entry stored of
// its value fills the in-process layer.
func (t *Typed[T]) fetcher(id string, fetch func(ctx context.Context) (T, error)) Fetch {
	return func(ctx context.Context) (Fetched, error) {
		var started time.Time // a tagged value is current from then on
		if t.tags != nil {
			started = t.c.cfg.clock.Now()
		}
		v, err := fetch(ctx)
		if err != nil {
			return Fetched{}, err
		}
		b, err := t.codec.Marshal(v)
		if err != nil {
			return Fetched{}, fmt.Errorf("hitbox: encode value: %w", err)
		}
		f := Fetched{Value: b, Store: true}
		if t.tags != nil {
			f.Tags = t.tags(id, v)
		}
		if t.local != nil {
			f.stored = func(e backend.Entry) { t.local.put(id, v, e, t.c.source, started) }
		}
		return f, nil
	}
}

// Delete removes the value cached under id, from the in-process layer and
// from the backend.
func (t *Typed[T]) Delete(ctx context.Context, id string) (bool, error) {
	if t.local != nil {
		t.local.c.Invalidate(id)
	}
	return t.c.Delete(ctx, t.Key(id))
}

// Invalidate drops from the in-process layer the values of the encoded
// keys that are this Typed's (as [Typed.Key] makes them); other keys are
// ignored. It does not touch the backend. Its shape is that of
// redis.InvalidatorOptions.OnDelete, so that the writes other instances
// announce on a Redis backend's channel drop this instance's copies:
//
//	inv, _ := redis.NewInvalidator(redis.InvalidatorOptions{
//		Client: l2.Client(), Channel: channel, InstanceID: l2.InstanceID(),
//		OnDelete: users.Invalidate, OnPurge: users.InvalidatePrefix,
//	})
func (t *Typed[T]) Invalidate(keys []string) {
	if t.local != nil {
		t.local.invalidateKeys(t.prefix, keys)
	}
}

// InvalidateTags hides from the in-process layer the values carrying any
// of tags ([TypedOptions.Tags]) that were known current at or before at:
// calls for them go through the flow, which checks the backend's marks.
// It does not touch the backend ([Cache.InvalidateTags] does, and tells
// the layers of the Typeds made on its Cache). Its shape is that of
// redis.InvalidatorOptions.OnTags, so that the tag purges other instances
// announce on a Redis backend's channel reach this instance's layer:
//
//	inv, _ := redis.NewInvalidator(redis.InvalidatorOptions{
//		Client: l2.Client(), Channel: channel, InstanceID: l2.InstanceID(),
//		OnDelete: users.Invalidate, OnPurge: users.InvalidatePrefix,
//		OnTags: users.InvalidateTags,
//	})
func (t *Typed[T]) InvalidateTags(tags []string, at time.Time) {
	if t.local != nil {
		t.local.marks.mark(tags, at)
	}
}

// InvalidatePrefix drops from the in-process layer the values whose
// encoded key starts with prefix ("" drops all). It does not touch the
// backend; see [Typed.Invalidate].
func (t *Typed[T]) InvalidatePrefix(prefix string) {
	if t.local != nil {
		t.local.invalidatePrefix(t.prefix, prefix)
	}
}
