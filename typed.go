package hitbox

import (
	"context"
	"encoding/json"
	"fmt"
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
type Typed[T any] struct {
	c        *Cache
	codec    Codec[T]
	policy   Policy
	ns       string
	endpoint string
	prefix   []byte // the encoded key up to the id's value
	shared   bool
}

// TypedOptions configures a [Typed].
type TypedOptions[T any] struct {
	// Policy applies to every key (zero: enabled, never expires).
	Policy Policy
	// Codec encodes values (nil: [JSONCodec]).
	Codec Codec[T]
	// Namespace prefixes every key, keeping this Typed's keys apart from
	// others on the same backend ("" : none).
	Namespace string
	// Endpoint names this Typed in events and metrics (default: the
	// namespace).
	Endpoint string
	// Shared keeps the value a fetch produced beside its bytes in stores
	// that hold entries in process (memory without a codec), and answers
	// their hits with that very value, without decoding: the value is
	// then shared between callers and must not be modified. Off by
	// default: every call decodes its own copy. Stores that encode
	// entries (Redis, memory with a codec) are decoded either way.
	Shared bool
}

// NewTyped returns a Typed over c.
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
	return &Typed[T]{c: c, codec: o.Codec, policy: o.Policy, ns: o.Namespace, endpoint: o.Endpoint, prefix: prefix, shared: o.Shared}, nil
}

// Key returns the encoded key GetOrFetch stores id under.
func (t *Typed[T]) Key(id string) string {
	var buf [128]byte
	return string(appendEscaped(append(buf[:0], t.prefix...), id))
}

// GetOrFetch returns the value cached under id, or calls fetch (once per key
// across concurrent callers) and caches what it returns. A value that the
// codec cannot decode is a miss. The Result says how the call was answered.
func (t *Typed[T]) GetOrFetch(ctx context.Context, id string, fetch func(ctx context.Context) (T, error)) (T, Result, error) {
	var zero T
	if fetch == nil {
		return zero, Result{}, ErrNilFetch
	}
	req := Request{Key: t.Key(id), Policy: t.policy, Endpoint: t.endpoint}
	if req.Policy.Disabled {
		v, err := fetch(ctx)
		return v, Result{Status: Miss, Forward: ForwardBypass}, err
	}
	ctx = orBackground(ctx)
	if req.Policy.invalid() {
		return zero, Result{}, req.Policy.Validate()
	}
	for attempt := 0; ; attempt++ {
		// A hit is answered without building the fetch closure.
		f := t.c.lookup(ctx, req)
		res, err := f.res, error(nil)
		if res.Status == 0 {
			res, err = t.c.after(ctx, req, t.fetcher(fetch), f)
		}
		if err != nil {
			return zero, res, err
		}
		if t.shared {
			if v, ok := res.Decoded.(T); ok {
				return v, res, nil
			}
		}
		v, err := t.codec.Unmarshal(res.Value)
		if err == nil {
			return v, res, nil
		}
		if res.Status == Miss || attempt > 0 {
			return zero, res, fmt.Errorf("hitbox: decode value: %w", err)
		}
		// Cached bytes that are not ours or are corrupted: a miss.
		// Drop them and go once more through the flow.
		_, _ = t.c.Delete(ctx, req.Key)
	}
}

// fetcher adapts a value loader to the flow's Fetch.
func (t *Typed[T]) fetcher(fetch func(ctx context.Context) (T, error)) Fetch {
	return func(ctx context.Context) (Fetched, error) {
		v, err := fetch(ctx)
		if err != nil {
			return Fetched{}, err
		}
		b, err := t.codec.Marshal(v)
		if err != nil {
			return Fetched{}, fmt.Errorf("hitbox: encode value: %w", err)
		}
		f := Fetched{Value: b, Store: true}
		if t.shared {
			f.Decoded = v
		}
		return f, nil
	}
}

// Delete removes the value cached under id.
func (t *Typed[T]) Delete(ctx context.Context, id string) (bool, error) {
	return t.c.Delete(ctx, t.Key(id))
}
