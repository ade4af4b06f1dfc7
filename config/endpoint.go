package config

import (
	"cmp"
	"math"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/predicate"
)

// staleModeNames are hitbox's stale mode names, indexed by StaleMode.
var staleModeNames = []string{"", hitbox.StaleReturn.String(), hitbox.StaleRevalidate.String(), hitbox.StaleOffloadRevalidate.String()}

// endpoint decodes one entry of `endpoints`; f gives the file-level
// upstream_timeout and semantics.
func (d *decoder) endpoint(n *node, path string, f *File) *Endpoint {
	ep := &Endpoint{Name: path, Loc: loc(n, path), KeyHost: true, UpstreamTimeout: f.UpstreamTimeout, Semantics: f.Semantics}
	fs, _ := d.fields(n, path, "an endpoint mapping (name, request, response, extractors, tags, policy, key_host, upstream_timeout, semantics)", false,
		"name", "request", "response", "extractors", "tags", "policy", "key_host", "upstream_timeout", "semantics")
	d.text(fs, "name", &ep.ID, "a name", "empty endpoint name")
	ep.Name = cmp.Or(ep.ID, ep.Name)
	set(fs, "key_host", &ep.KeyHost, d.boolean)
	set(fs, "upstream_timeout", &ep.UpstreamTimeout, d.positiveDuration)
	set(fs, "semantics", &ep.Semantics, d.semantics)
	if e, ok := fs["request"]; ok {
		ep.request = d.predicates(e.val, e.path, requestSide)
	} else {
		m, _ := predicate.Method("GET")
		ep.request = defaultCond(joinPath(path, "request"), requestSide, &cond{kind: "Method", text: `Method in ["GET"]`, req: m})
	}
	if e, ok := fs["response"]; ok {
		ep.response = d.predicates(e.val, e.path, responseSide)
	} else {
		ep.response = defaultCond(joinPath(path, "response"), responseSide, &cond{kind: "Status", text: "Status eq 200", resp: predicate.Status(200)})
	}
	if e, ok := fs["extractors"]; ok {
		ep.extractors = items(d, e.val, e.path, "a list of extractors", d.extractor)
	} else {
		ep.extractors = defaultExtractors(joinPath(path, "extractors"))
	}
	if e, ok := fs["tags"]; ok {
		ep.tags = d.tags(e.val, e.path)
	}
	if ep.request != nil {
		ep.Request = ep.request.req
	}
	if ep.response != nil {
		ep.Response = ep.response.resp
	}
	ep.Extractors = extractors(ep.extractors)
	if len(ep.tags) > 0 {
		ep.Tags = extractors(ep.tags)
	}
	ep.Policy = d.policy(fs["policy"].val, joinPath(path, "policy"))
	return ep
}

// defaultCond is the predicates of an endpoint that writes none: an And
// of the default, placed at path.
func defaultCond(path string, s side, leaf *cond) *cond {
	leaf.loc = Loc{Path: path}
	return (&cond{kind: "And", loc: Loc{Path: path}, kids: []*cond{leaf}}).join(s)
}

// policy decodes `Enabled: {...}`, `Disabled`, or their bare names; an
// absent or null policy (n nil or null) is the default, Enabled{ttl: 5}.
func (d *decoder) policy(n *node, path string) Policy {
	p := Policy{Loc: Loc{Path: path}, Keep: hitbox.DefaultKeep, StaleMode: hitbox.StaleReturn, Concurrency: 1}
	if n == nil || n.kind == kindNull {
		ttl := defaultTTL
		p.TTL = &ttl
		return p
	}
	p.Loc = loc(n, path)
	if n.kind == kindString {
		i, _ := d.enum(n, path, "policy", []string{"", "Enabled", "Disabled"})
		p.Disabled = i == 2
		return p
	}
	if n.kind != kindMap {
		d.wrongType(n, path, "Enabled: {...} or Disabled")
		return p
	}
	key, v, vpath, ok := d.single(n, path, "policy", []string{"Enabled", "Disabled"})
	if !ok {
		return p
	}
	if key == "Disabled" {
		p.Disabled = true
		if v.kind != kindNull && !(v.kind == kindMap && len(v.keys) == 0) {
			d.fail(v, vpath, ErrValue, "Disabled takes no settings")
		}
		return p
	}
	fs, _ := d.fields(v, vpath, "a mapping (ttl, stale, keep, stale_if_error, policy, concurrency)", true,
		"ttl", "stale", "keep", "stale_if_error", "policy", "concurrency")
	set(fs, "ttl", &p.TTL, func(n *node, path string) (*time.Duration, bool) {
		v, ok := d.positive("ttl 0 would expire every entry at once: omit ttl for entries that never expire, or write Disabled")(n, path)
		return &v, ok
	})
	set(fs, "stale", &p.Stale, func(n *node, path string) (*time.Duration, bool) {
		v, ok := d.duration(n, path)
		return &v, ok
	})
	set(fs, "keep", &p.Keep, d.duration)
	set(fs, "stale_if_error", &p.StaleIfError, d.duration)
	if e := fs["stale_if_error"]; p.StaleIfError > p.Keep {
		d.fail(e.val, e.path, ErrValue, "stale_if_error %v is more than keep %v: an expired entry is gone after keep (raise keep, or lower stale_if_error)",
			p.StaleIfError, p.Keep)
	}
	if e, ok := fs["policy"]; ok {
		pf, _ := d.fields(e.val, e.path, "a mapping (stale)", true, "stale")
		set(pf, "stale", &p.StaleMode, func(n *node, path string) (hitbox.StaleMode, bool) {
			i, ok := d.enum(n, path, "stale mode", staleModeNames)
			return hitbox.StaleMode(i), ok
		})
	}
	set(fs, "concurrency", &p.Concurrency, func(n *node, path string) (int, bool) {
		c, ok := d.integer(n, path, 1, math.MaxInt32)
		return int(c), ok
	})
	if p.TTL != nil && p.Stale != nil && *p.Stale >= *p.TTL {
		d.warn(p.Loc, "stale %v is not less than ttl %v: entries expire before they turn stale", *p.Stale, *p.TTL)
	}
	return p
}

// durationText writes a duration as the dump and messages show it.
func durationText(v time.Duration) string { return v.String() }
