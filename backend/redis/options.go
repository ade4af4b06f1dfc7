package redis

import (
	"cmp"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hitbox-go/hitbox/backend"
	circuit "github.com/hitbox-go/hitbox/internal/breaker"
	"github.com/hitbox-go/hitbox/internal/store"
)

// Defaults applied to the zero fields of [Options].
const (
	// DefaultPrefix is the key prefix of a Backend whose Options leave
	// Prefix empty.
	DefaultPrefix = "hitbox:"
	// DefaultOpTimeout bounds each Redis call when Options.OpTimeout is
	// zero.
	DefaultOpTimeout = 500 * time.Millisecond
	// DefaultExpiryMargin is how long after an entry's deadline Redis
	// drops it when Options.ExpiryMargin is zero.
	DefaultExpiryMargin = time.Second
	// DefaultBreakerFailures is how many consecutive failures open the
	// circuit breaker when BreakerOptions.Failures is zero.
	DefaultBreakerFailures = circuit.DefaultFailures
	// DefaultBreakerOpenTimeout is how long the breaker stays open before
	// it lets a probe through when BreakerOptions.OpenTimeout is zero.
	DefaultBreakerOpenTimeout = circuit.DefaultOpenTimeout
)

// Bounds of the connection settings, from Options or from the URL's query
// options: larger values make go-redis panic or allocate without bound.
const (
	// MaxPoolSize bounds Options.PoolSize and the URL's connection counts
	// (pool_size, min_idle_conns, max_idle_conns, max_active_conns,
	// max_concurrent_dials, pipeline_pool_size).
	MaxPoolSize = 10000
	// MaxBufferSize bounds the URL's pipeline_read_buffer_size and
	// pipeline_write_buffer_size, in bytes.
	MaxBufferSize = 16 << 20
)

// Options configures a [Backend]. Exactly one way to reach Redis is set:
// URL, Addrs (a cluster), MasterName with SentinelAddrs (a master watched
// by Sentinel), or Client (a client the caller already has). The other
// fields have working zero values.
type Options struct {
	// URL is a standalone server's "redis://[user:password@]host:port[/db]"
	// or, with TLS, "rediss://..." URL, in the form go-redis's ParseURL
	// reads (query options such as ?dial_timeout=3s included). New
	// rejects a port outside 1 to 65535, a negative db, a protocol other
	// than 2 or 3, and connection counts and buffer sizes that are
	// negative (but pipeline_pool_size=-1, no pipeline pool) or above
	// [MaxPoolSize] and [MaxBufferSize].
	URL string
	// Addrs are the seed addresses ("host:port") of a Redis Cluster.
	Addrs []string
	// MasterName is the name Sentinel knows the master by; SentinelAddrs
	// are the sentinels' addresses. Set both or neither.
	MasterName    string
	SentinelAddrs []string
	// Client is a client the caller already has (a *goredis.Client, a
	// *goredis.ClusterClient, a failover client, ...). The Backend uses it
	// as it is: the connection fields below are ignored, and Close does
	// not close it. To make the per-operation timeout effective, build it
	// with ContextTimeoutEnabled.
	Client goredis.UniversalClient

	// Username and Password authenticate to the servers: those of the URL
	// too, unless it carries credentials of its own (setting both is an
	// error).
	Username, Password string
	// SentinelPassword authenticates to the sentinels.
	SentinelPassword string
	// TLS, when set, makes the connections of Addrs or of MasterName use
	// TLS (a "rediss://" URL carries its own).
	TLS *tls.Config
	// PoolSize is the number of connections per server, at most
	// [MaxPoolSize]; zero means go-redis's default (10 per GOMAXPROCS), or
	// the URL's pool_size.
	PoolSize int
	// DialTimeout, ReadTimeout and WriteTimeout are go-redis's socket
	// timeouts; zero means go-redis's defaults (5s, 5s, ReadTimeout).
	// OpTimeout usually ends a call sooner.
	DialTimeout, ReadTimeout, WriteTimeout time.Duration
	// MaxRetries is how many times go-redis retries a call that failed on
	// the network; zero means 1, -1 none.
	MaxRetries int

	// OpTimeout bounds each call the Backend makes to Redis (each round
	// trip of List and Purge), within the caller's context; zero means
	// [DefaultOpTimeout] (500ms), negative none (only the caller's context
	// and the client's timeouts apply). A call that times out counts as a
	// failure for the circuit breaker.
	OpTimeout time.Duration

	// Prefix is prepended to every key the Backend stores; empty means
	// [DefaultPrefix] ("hitbox:"). Backends sharing a Redis with different
	// prefixes do not see each other's entries.
	Prefix string
	// LockPrefix is prepended to the keys of [Backend.Lock]'s locks; empty
	// means "lock:" followed by Prefix. It must not start with Prefix nor
	// Prefix with it, so that locks never show up among the entries.
	LockPrefix string
	// TagsKey is the Redis hash holding the tag invalidation marks
	// ([Backend.InvalidateTags]): one field per tag, its value the
	// invalidation time in Unix nanoseconds. Empty means "tags:"
	// followed by Prefix. It must not start with Prefix, so that the
	// marks never show up among the entries nor go with a purge. Being
	// one key, it lives in one hash slot of a cluster.
	TagsKey string
	// TagRetention bounds how long the hash [Options.TagsKey] keeps a
	// tag's invalidation mark ([Backend.InvalidateTags]): marks older than
	// it at Now are pruned (once the hash holds enough of them to be
	// worth a walk), leaving a floor in the hash that every instance
	// reads (see [backend.TagMarks]): a tagged entry written before the
	// pruned horizon then reads as invalidated, dropped early rather than
	// served past a purge, so set it above the longest lifetime of a
	// tagged entry. Instances sharing the hash may set different
	// retentions: the shortest one prunes. 0 keeps every mark (one hash
	// field per tag ever invalidated); negative is an error.
	TagRetention time.Duration
	// Codec encodes the stored values (zero: JSON, no compression). Any
	// value Decode rejects, such as bytes another program wrote under the
	// prefix, reads as a miss and counts as a decode error.
	Codec backend.Codec
	// Now is the clock expiry decisions read; nil means time.Now. Redis
	// expires keys by its own clock: the Backend computes each key's TTL
	// as the entry's deadline minus Now() and checks the deadline again
	// on every read, so an entry past its deadline at Now() is a miss
	// even while Redis still holds it.
	Now func() time.Time
	// ExpiryMargin is added to the TTL Redis gets for each key, so that a
	// key outlives its entry's deadline a little: the deadline is checked
	// on reads against Now, and the margin absorbs clock differences
	// between instances and the rounding to milliseconds. Zero means
	// [DefaultExpiryMargin] (1s), negative none.
	ExpiryMargin time.Duration
	// Label names the backend in stats and errors; empty means "redis".
	Label string
	// Logger receives the Backend's warnings (such as a lock key found
	// without a TTL, see [Backend.Lock]); nil discards them.
	Logger *slog.Logger

	// Channel, when set, is the Redis pub/sub channel on which the Backend
	// announces its writes (Set, Delete, Purge) for [Backend.Subscribe]:
	// each instance that keeps an L1 over this Backend drops the keys
	// other instances changed. Empty announces nothing.
	Channel string
	// InstanceID names this Backend in what it publishes, so that its own
	// subscriber ignores its own writes; empty means a random ID.
	InstanceID string

	// Breaker configures the circuit breaker in front of Redis.
	Breaker BreakerOptions
}

// BreakerOptions configures a [Backend]'s circuit breaker. After Failures
// consecutive failed calls (network errors, timeouts, a server that is
// away, loading or read-only; a miss, an error reply from a working server
// or the caller's own cancellation is no failure) the breaker opens: every
// call then fails at once with an error wrapping [backend.ErrUnavailable],
// without reaching Redis. After OpenTimeout it lets Probes calls through
// (half-open); when they all succeed it closes, and when one fails it
// opens again. Disabled turns it off. Zero Failures mean
// [DefaultBreakerFailures] (5), a zero OpenTimeout
// [DefaultBreakerOpenTimeout] (1s), zero Probes 1. The network stores
// share this type (internal/breaker's Options) and the breaker behind it.
type BreakerOptions = circuit.Options

// Validate reports Options that New would refuse: no server or more than
// one way to reach it, a URL go-redis would not read (or whose port is
// not 1 to 65535), a bound exceeded, a negative duration, an empty address,
// an invalid Codec, or key prefixes that overlap. The error about one field
// is a [*backend.OptionError] naming it; URLs in errors hide passwords.
func (o Options) Validate() error { return o.validate() }

// validate reports invalid or contradictory Options.
func (o *Options) validate() error {
	ways := 0
	for _, set := range []bool{o.URL != "", len(o.Addrs) > 0, o.MasterName != "" || len(o.SentinelAddrs) > 0, o.Client != nil} {
		if set {
			ways++
		}
	}
	field := func(name, format string, args ...any) error {
		return &backend.OptionError{Field: name, Err: fmt.Errorf("redis: "+format, args...)}
	}
	switch {
	case ways == 0:
		return errors.New("redis: no server: set URL, Addrs, MasterName with SentinelAddrs, or Client")
	case ways > 1:
		return errors.New("redis: set only one of URL, Addrs, MasterName with SentinelAddrs, and Client")
	case (o.MasterName == "") != (len(o.SentinelAddrs) == 0):
		return errors.New("redis: MasterName and SentinelAddrs go together")
	case o.URL != "" && !strings.HasPrefix(o.URL, "redis://") && !strings.HasPrefix(o.URL, "rediss://") && !strings.HasPrefix(o.URL, "unix://"):
		return field("URL", "URL %q: want a redis://, rediss:// or unix:// URL", redactURL(o.URL))
	case o.PoolSize < 0:
		return field("PoolSize", "negative PoolSize %d", o.PoolSize)
	case o.PoolSize > MaxPoolSize:
		return field("PoolSize", "PoolSize %d: at most %d", o.PoolSize, MaxPoolSize)
	case o.DialTimeout < 0:
		return field("DialTimeout", "negative DialTimeout %v", o.DialTimeout)
	case o.TagRetention < 0:
		return field("TagRetention", "negative TagRetention %v", o.TagRetention)
	case o.MaxRetries < -1:
		return field("MaxRetries", "MaxRetries %d: want -1 or more", o.MaxRetries)
	case o.Breaker.OpenTimeout < 0:
		return field("Breaker", "negative Breaker.OpenTimeout %v", o.Breaker.OpenTimeout)
	case slices.Contains(o.Addrs, ""):
		return field("Addrs", "empty address")
	case slices.Contains(o.SentinelAddrs, ""):
		return field("SentinelAddrs", "empty address")
	}
	if o.URL != "" {
		opt, err := parseURL(o.URL)
		if err != nil {
			return &backend.OptionError{Field: "URL", Err: err}
		}
		if (opt.Username != "" || opt.Password != "") && (o.Username != "" || o.Password != "") {
			return field("URL", "the URL carries credentials and Username or Password is set too: set them in one place")
		}
	}
	if err := o.Codec.Validate(); err != nil {
		return &backend.OptionError{Field: "Codec", Err: fmt.Errorf("redis: %w", err)}
	}
	prefix, lock := o.prefixes()
	if strings.HasPrefix(lock, prefix) || strings.HasPrefix(prefix, lock) {
		return field(cmp.Or(prefixField(o.LockPrefix, "LockPrefix"), "Prefix"),
			"LockPrefix %q and Prefix %q overlap: locks would be listed as entries", lock, prefix)
	}
	if tags := o.tagsKey(prefix); strings.HasPrefix(tags, prefix) {
		return field(cmp.Or(prefixField(o.TagsKey, "TagsKey"), "Prefix"),
			"TagsKey %q starts with Prefix %q: the marks would be listed as an entry", tags, prefix)
	}
	return nil
}

// prefixField returns name when the field, set to v, was set: an overlap
// of a defaulted prefix with Prefix is Prefix's doing.
func prefixField(v, name string) string {
	if v == "" {
		return ""
	}
	return name
}

// prefixes returns the key prefix and the lock prefix with their defaults.
func (o *Options) prefixes() (prefix, lock string) {
	prefix = cmp.Or(o.Prefix, DefaultPrefix)
	return prefix, cmp.Or(o.LockPrefix, "lock:"+prefix)
}

// tagsKey returns TagsKey with its default for prefix.
func (o *Options) tagsKey(prefix string) string {
	return cmp.Or(o.TagsKey, "tags:"+prefix)
}

// setDefaults fills the zero fields of validated Options.
func (o *Options) setDefaults() {
	o.Prefix, o.LockPrefix = o.prefixes()
	o.TagsKey = o.tagsKey(o.Prefix)
	o.OpTimeout = store.Duration(o.OpTimeout, DefaultOpTimeout)
	o.ExpiryMargin = store.Duration(o.ExpiryMargin, DefaultExpiryMargin)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.Label = cmp.Or(o.Label, "redis")
	if o.InstanceID == "" {
		o.InstanceID = rand.Text()
	}
	o.MaxRetries = cmp.Or(o.MaxRetries, 1)
	// The breaker's zero fields get their defaults in internal/breaker.
}

// newClient builds the client the Options describe; owned reports whether
// the Backend made it (and so closes it).
func (o *Options) newClient() (c goredis.UniversalClient, owned bool, err error) {
	if o.Client != nil {
		return o.Client, false, nil
	}
	if o.URL != "" {
		opt, err := parseURL(o.URL)
		if err != nil {
			return nil, false, err
		}
		if o.Username != "" || o.Password != "" {
			opt.Username, opt.Password = o.Username, o.Password
		}
		opt.ContextTimeoutEnabled = true
		opt.MaxRetries = o.MaxRetries
		// One dial per attempt: a refused connection fails the call at
		// once instead of after go-redis's dial retries.
		opt.DialerRetries = 1
		if o.PoolSize > 0 {
			opt.PoolSize = o.PoolSize
		}
		if o.DialTimeout > 0 {
			opt.DialTimeout = o.DialTimeout
		}
		if o.ReadTimeout != 0 {
			opt.ReadTimeout = o.ReadTimeout
		}
		if o.WriteTimeout != 0 {
			opt.WriteTimeout = o.WriteTimeout
		}
		return goredis.NewClient(opt), true, nil
	}
	u := &goredis.UniversalOptions{
		Addrs:                 o.Addrs,
		MasterName:            o.MasterName,
		Username:              o.Username,
		Password:              o.Password,
		SentinelPassword:      o.SentinelPassword,
		TLSConfig:             o.TLS,
		PoolSize:              o.PoolSize,
		DialTimeout:           o.DialTimeout,
		DialerRetries:         1,
		ReadTimeout:           o.ReadTimeout,
		WriteTimeout:          o.WriteTimeout,
		MaxRetries:            o.MaxRetries,
		ContextTimeoutEnabled: true,
	}
	if o.MasterName != "" {
		u.Addrs = o.SentinelAddrs
		return goredis.NewFailoverClient(u.Failover()), true, nil
	}
	return goredis.NewClusterClient(u.Cluster()), true, nil
}

// parseURL parses a URL as go-redis does and checks the settings its query
// options may carry, which go-redis takes as they are: out of bounds, they
// make NewClient panic or allocate without bound. A TCP address needs a
// port from 1 to 65535 (go-redis would dial any). Its errors hide the
// URL's password.
func parseURL(u string) (*goredis.Options, error) {
	opt, err := goredis.ParseURL(u)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text holds the URL as written
		}
		return nil, fmt.Errorf("redis: URL %q: %s", redactURL(u), strings.TrimPrefix(err.Error(), "redis: "))
	}
	if opt.Network == "tcp" {
		if _, port, err := net.SplitHostPort(opt.Addr); err == nil {
			if p, err := strconv.ParseUint(port, 10, 16); err != nil || p == 0 {
				return nil, fmt.Errorf("redis: URL %q: port %q is not a number from 1 to 65535", redactURL(u), port)
			}
		}
	}
	if opt.DB < 0 {
		return nil, fmt.Errorf("redis: URL: negative db %d", opt.DB)
	}
	if opt.Protocol != 0 && opt.Protocol != 2 && opt.Protocol != 3 {
		return nil, fmt.Errorf("redis: URL: protocol %d: want 2 or 3", opt.Protocol)
	}
	for _, c := range []struct {
		name      string
		v, lo, hi int
	}{
		{"pool_size", opt.PoolSize, 0, MaxPoolSize},
		{"min_idle_conns", opt.MinIdleConns, 0, MaxPoolSize},
		{"max_idle_conns", opt.MaxIdleConns, 0, MaxPoolSize},
		{"max_active_conns", opt.MaxActiveConns, 0, MaxPoolSize},
		{"max_concurrent_dials", opt.MaxConcurrentDials, 0, MaxPoolSize},
		{"pipeline_pool_size", opt.PipelinePoolSize, -1, MaxPoolSize},
		{"pipeline_read_buffer_size", opt.PipelineReadBufferSize, 0, MaxBufferSize},
		{"pipeline_write_buffer_size", opt.PipelineWriteBufferSize, 0, MaxBufferSize},
	} {
		if c.v < c.lo || c.v > c.hi {
			return nil, fmt.Errorf("redis: URL: %s=%d: want %d to %d", c.name, c.v, c.lo, c.hi)
		}
	}
	return opt, nil
}

// redactURL hides the password of a URL, which may not parse.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	if at := strings.LastIndex(s, "@"); at >= 0 {
		if i := strings.Index(s, "://"); i >= 0 && i+3 <= at {
			return s[:i+3] + "xxxxx" + s[at:]
		}
	}
	return s
}
