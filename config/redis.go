package config

import (
	"cmp"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/redis"
)

var redisServerForms = []string{"url", "cluster", "sentinel"}

// redisFields are the fields of the file that set redis.Options': the
// library's errors about one are reported at its value.
var redisFields = map[string]string{"URL": "url", "Addrs": "cluster", "MasterName": "sentinel", "SentinelAddrs": "sentinel",
	"Prefix": "prefix", "PoolSize": "pool_size", "DialTimeout": "timeouts", "Breaker": "breaker", "Codec": "value"}

// redis decodes `type: Redis`. When the fields had no error (clean),
// redis's own Validate checks the options (the URL as go-redis reads it).
func (d *decoder) redis(n *node, path string, fs map[string]entry, b *Backend, clean int) {
	r := &RedisBackend{Prefix: redis.DefaultPrefix, OpTimeout: redis.DefaultOpTimeout,
		Breaker: redis.BreakerOptions{Failures: redis.DefaultBreakerFailures, OpenTimeout: redis.DefaultBreakerOpenTimeout, Probes: 1}}
	b.Redis = r
	var forms []entry
	for _, f := range redisServerForms {
		if e, ok := fs[f]; ok {
			forms = append(forms, e)
		}
	}
	slices.SortFunc(forms, func(a, b entry) int { return cmp.Or(a.key.line-b.key.line, a.key.col-b.key.col) })
	if len(forms) == 0 {
		d.fail(n, joinPath(path, "url"), ErrMissing,
			"missing url, cluster or sentinel: where Redis is (e.g. url: redis://127.0.0.1:6379/0)")
	}
	for _, e := range forms[min(len(forms), 1):] {
		d.fail(e.key, e.path, ErrValue, "%s and %s exclude each other: write one of url, cluster and sentinel",
			forms[0].key.text, e.key.text)
	}
	d.text(fs, "username", &r.Username, "a string", "")
	d.text(fs, "password", &r.Password, "a string", "")
	set(fs, "url", &r.URL, d.redisURL)
	if e, ok := fs["cluster"]; ok {
		if cf, ok := d.fields(e.val, e.path, "a mapping (addresses)", false, "addresses"); ok {
			d.required(cf, e.val, e.path, "addresses", "the cluster's seed nodes, host:port")
			set(cf, "addresses", &r.Addrs, d.addresses)
		}
	}
	if e, ok := fs["sentinel"]; ok {
		if sf, ok := d.fields(e.val, e.path, "a mapping (master, addresses, password)", false, "master", "addresses", "password"); ok {
			d.required(sf, e.val, e.path, "master", "the name the sentinels know the master by")
			d.text(sf, "master", &r.MasterName, "the master's name", "empty master name")
			d.required(sf, e.val, e.path, "addresses", "the sentinels, host:port")
			set(sf, "addresses", &r.SentinelAddrs, d.addresses)
			d.text(sf, "password", &r.SentinelPassword, "a string", "")
		}
	}
	d.text(fs, "prefix", &r.Prefix, "a string", "empty prefix (omit prefix for the default %q)", redis.DefaultPrefix)
	if e, ok := fs["prefix"]; ok && r.Prefix != "" && strings.HasPrefix("lock:"+r.Prefix, r.Prefix) {
		d.fail(e.val, e.path, ErrValue, "prefix %q: the lock keys (\"lock:\" + prefix) would start with it and be listed as entries", r.Prefix)
	}
	if e, ok := fs["pool_size"]; ok {
		v, _ := d.integer(e.val, e.path, 1, redis.MaxPoolSize)
		r.PoolSize = int(v)
	}
	if e, ok := fs["timeouts"]; ok {
		tf, _ := d.fields(e.val, e.path, "a mapping (dial, read, write, operation)", true, "dial", "read", "write", "operation")
		for name, dst := range map[string]*time.Duration{"dial": &r.DialTimeout, "read": &r.ReadTimeout, "write": &r.WriteTimeout, "operation": &r.OpTimeout} {
			set(tf, name, dst, d.positiveDuration)
		}
	}
	if e, ok := fs["breaker"]; ok {
		d.breaker(e.val, e.path, &r.Breaker)
	}
	if len(d.errs) == clean {
		ro := *r
		ro.Codec = b.Value
		d.validated(n, path, fs, redisFields, ro.Validate())
	}
}

// redisURL reads a server's URL, which redis's Validate checks as go-redis
// reads it. The file wants a host written out (go-redis would take
// localhost), and of the query options only db (it has fields for the
// others).
func (d *decoder) redisURL(n *node, path string) (string, bool) {
	s, ok := d.str(n, path, "a redis:// URL")
	u, err := url.Parse(s)
	if !ok || err != nil {
		return s, ok // Validate reports it, its password hidden
	}
	for k := range u.Query() {
		if k != "db" {
			d.fail(n, path, ErrValue, "Redis URL %q: query option %q is not read here (write pool_size and timeouts as fields; db is the only option)", u.Redacted(), k)
			return "", false
		}
	}
	if u.Scheme != "unix" && u.Hostname() == "" {
		d.fail(n, path, ErrValue, "Redis URL %q has no host", u.Redacted())
		return "", false
	}
	return s, true
}

// addresses reads a non-empty list of distinct host:port addresses.
func (d *decoder) addresses(n *node, path string) ([]string, bool) {
	items, ok := d.list(n, path, "a list of addresses (host:port)")
	if !ok {
		return nil, false
	}
	if len(items) == 0 {
		d.fail(n, path, ErrValue, "no addresses: want at least one host:port")
		return nil, false
	}
	var out []string
	for i, item := range items {
		p := indexPath(path, i)
		if item.kind == kindMap && len(item.keys) == 1 {
			// goccy/go-yaml reads an unquoted host:port inside a flow
			// mapping ({addresses: [h:1]}) as a mapping.
			d.fail(item, p, ErrType, "want an address (host:port), got a mapping: quote the address (\"%s:%s\") inside { }",
				item.keys[0].text, item.vals[0].text)
			continue
		}
		s, ok := d.address(item, p)
		if !ok {
			continue
		}
		if slices.Contains(out, s) {
			d.fail(item, p, ErrValue, "duplicate address %q", s)
			continue
		}
		out = append(out, s)
	}
	return out, true
}

// positiveDuration reads a timeout: a duration above zero.
func (d *decoder) positiveDuration(n *node, path string) (time.Duration, bool) {
	return d.positive("a timeout must be positive")(n, path)
}

// positive returns a reader of a duration above zero; msg says otherwise.
func (d *decoder) positive(msg string) func(*node, string) (time.Duration, bool) {
	return func(n *node, path string) (time.Duration, bool) {
		v, ok := d.duration(n, path)
		if ok && v <= 0 {
			d.fail(n, path, ErrValue, "%s", msg)
			return 0, false
		}
		return v, ok
	}
}

// breaker decodes `breaker`: Disabled, or {failures, open, probes}.
func (d *decoder) breaker(n *node, path string, b *redis.BreakerOptions) {
	if n.kind == kindString {
		if _, ok := d.enum(n, path, "breaker", []string{"", "Disabled"}); ok {
			b.Disabled = true
		}
		return
	}
	bf, ok := d.fields(n, path, "a mapping (failures, open, probes) or Disabled", true, "failures", "open", "probes")
	if !ok {
		return
	}
	for name, dst := range map[string]*uint32{"failures": &b.Failures, "probes": &b.Probes} {
		set(bf, name, dst, func(n *node, path string) (uint32, bool) {
			v, ok := d.integer(n, path, 1, math.MaxUint32)
			return uint32(v), ok
		})
	}
	set(bf, "open", &b.OpenTimeout, d.positive("open must be positive (how long the breaker stays open)"))
}

// invalidation decodes a composition's `invalidation`, which needs a
// Memory l1 over a Redis l2.
func (d *decoder) invalidation(e entry, c *CompositionBackend) *Invalidation {
	inv := &Invalidation{}
	fs, ok := d.fields(e.val, e.path, "a mapping (channel)", false, "channel")
	if !ok {
		return nil
	}
	d.text(fs, "channel", &inv.Channel, "a channel name", "empty channel (omit channel for the l2's prefix + \"invalidate\")")
	if c.L2.Type != Redis {
		d.fail(e.key, e.path, ErrValue, "invalidation needs a Redis l2 (it announces writes on Redis pub/sub), not %v", c.L2.Type)
		return inv
	}
	if c.L1.Type != Memory {
		d.fail(e.key, e.path, ErrValue, "invalidation drops keys from a Memory l1, not %v", c.L1.Type)
		return inv
	}
	if inv.Channel == "" && c.L2.Redis != nil {
		inv.Channel = c.L2.Redis.Prefix + "invalidate"
	}
	return inv
}

func (bl *builder) redis(b *Backend, o BuildOptions, s *Store) backend.Backend {
	if r := bl.redisStore(b, o, s, ""); r != nil {
		return r
	}
	return nil
}

// redisStore builds a Redis backend and registers its Close; channel,
// when not empty, makes it announce its writes there.
func (bl *builder) redisStore(b *Backend, o BuildOptions, s *Store, channel string) *redis.Backend {
	ro := *b.Redis
	ro.Codec, ro.Now, ro.Channel = b.Value, o.Now, channel
	r, err := redis.New(ro)
	if !bl.checkAt(b.Loc, err) {
		return nil
	}
	s.closers = append(s.closers, r.Close)
	s.Redis = append(s.Redis, r)
	return r
}

// dumpRedis describes b after "Redis"; with secrets it shows credentials
// (for comparing trees), otherwise only whether they are set.
func dumpRedis(w *strings.Builder, b *Backend, secrets bool) {
	r := b.Redis
	switch {
	case len(r.Addrs) > 0:
		fmt.Fprintf(w, " cluster=%q", r.Addrs)
	case r.MasterName != "":
		fmt.Fprintf(w, " sentinel master=%q addresses=%q", r.MasterName, r.SentinelAddrs)
		if r.SentinelPassword != "" {
			w.WriteString(" sentinel_password=" + secret(r.SentinelPassword, secrets))
		}
	default:
		u := r.URL
		if !secrets {
			u = "(invalid)" // a File made by hand: its password may show otherwise
			if pu, err := url.Parse(r.URL); err == nil {
				u = pu.Redacted()
			}
		}
		fmt.Fprintf(w, " url=%q", u)
	}
	if r.Username != "" {
		fmt.Fprintf(w, " username=%q", r.Username)
	}
	if r.Password != "" {
		w.WriteString(" password=" + secret(r.Password, secrets))
	}
	fmt.Fprintf(w, " prefix=%q pool_size=", r.Prefix)
	if r.PoolSize == 0 {
		w.WriteString("default")
	} else {
		w.WriteString(strconv.Itoa(r.PoolSize))
	}
	fmt.Fprintf(w, " timeouts={dial: %s, read: %s, write: %s, operation: %s}",
		orDefault(r.DialTimeout), orDefault(r.ReadTimeout), orDefault(r.WriteTimeout), orDefault(r.OpTimeout))
	if r.Breaker.Disabled {
		w.WriteString(" breaker=Disabled")
	} else {
		fmt.Fprintf(w, " breaker={failures: %d, open: %s, probes: %d}", r.Breaker.Failures, durationText(r.Breaker.OpenTimeout), r.Breaker.Probes)
	}
}

func secret(s string, show bool) string {
	if show {
		return strconv.Quote(s)
	}
	return "(set)"
}

func orDefault(v time.Duration) string {
	if v == 0 {
		return "default"
	}
	return durationText(v)
}
