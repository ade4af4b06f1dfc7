package config

import (
	"cmp"
	"math"
	"net/http"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/httpcache"
	"github.com/hitbox-go/hitbox/predicate"
)

// staleModeNames are hitbox's stale mode names, indexed by StaleMode.
var staleModeNames = []string{"", hitbox.StaleReturn.String(), hitbox.StaleRevalidate.String(), hitbox.StaleOffloadRevalidate.String()}

// endpoint decodes one entry of `endpoints`; f gives the file-level
// upstream_timeout and semantics.
func (d *decoder) endpoint(n *node, path string, f *File) *Endpoint {
	ep := &Endpoint{Endpoint: httpcache.Endpoint{Name: path, UpstreamTimeout: f.UpstreamTimeout, Semantics: f.Semantics}, Loc: loc(n, path)}
	fs, _ := d.fields(n, path, "an endpoint mapping (name, request, response, extractors, tags, policy, key_host, upstream_timeout, semantics)", false,
		"name", "request", "response", "extractors", "tags", "policy", "key_host", "upstream_timeout", "semantics")
	d.text(fs, "name", &ep.ID, "a name", "empty endpoint name")
	ep.Name = cmp.Or(ep.ID, ep.Name)
	keyHost := true
	set(fs, "key_host", &keyHost, d.boolean)
	ep.IgnoreHost = !keyHost
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
	ep.Request, ep.Response = predicate.And[*http.Request](), predicate.And[*http.Response]() // no condition
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
	ep.Policy, ep.policyLoc = d.policy(fs["policy"].val, joinPath(path, "policy"))
	return ep
}

// defaultCond is the predicates of an endpoint that writes none: an And
// of the default, placed at path.
func defaultCond(path string, s side, leaf *cond) *cond {
	leaf.loc = Loc{Path: path}
	return (&cond{kind: "And", loc: Loc{Path: path}, kids: []*cond{leaf}}).join(s)
}

// policy decodes `Enabled: {...}`, `Disabled`, or their bare names, and
// returns where it was written; an absent or null policy (n nil or null)
// is the default, Enabled{ttl: 5}. No ttl is the flow's TTL 0 (never
// expires), keep: 0 its Keep -1 (keeps none), stale: 0 its smallest Stale
// (stale at once: the flow's zero is never stale).
func (d *decoder) policy(n *node, path string) (hitbox.Policy, Loc) {
	p := hitbox.Policy{Keep: hitbox.DefaultKeep, StaleMode: hitbox.StaleReturn, Concurrency: 1}
	if n == nil || n.kind == kindNull {
		p.TTL = defaultTTL
		return p, Loc{Path: path}
	}
	l := loc(n, path)
	if n.kind == kindString {
		if i, _ := d.enum(n, path, "policy", []string{"", "Enabled", "Disabled"}); i == 2 {
			return hitbox.Disabled(), l
		}
		return p, l
	}
	if n.kind != kindMap {
		d.wrongType(n, path, "Enabled: {...} or Disabled")
		return p, l
	}
	key, v, vpath, ok := d.single(n, path, "policy", []string{"Enabled", "Disabled"})
	if !ok {
		return p, l
	}
	if key == "Disabled" {
		if v.kind != kindNull && !(v.kind == kindMap && len(v.keys) == 0) {
			d.fail(v, vpath, ErrValue, "Disabled takes no settings")
		}
		return hitbox.Disabled(), l
	}
	fs, _ := d.fields(v, vpath, "a mapping (ttl, stale, keep, stale_if_error, policy, concurrency)", true,
		"ttl", "stale", "keep", "stale_if_error", "policy", "concurrency")
	set(fs, "ttl", &p.TTL, d.positive("ttl 0 would expire every entry at once: omit ttl for entries that never expire, or write Disabled"))
	stale := time.Duration(-1) // none: never stale
	set(fs, "stale", &stale, d.duration)
	set(fs, "keep", &p.Keep, d.duration)
	set(fs, "stale_if_error", &p.StaleIfError, d.duration)
	if e := fs["stale_if_error"]; p.StaleIfError > p.Keep {
		d.fail(e.val, e.path, ErrValue, "stale_if_error %v is more than keep %v: an expired entry is gone after keep (raise keep, or lower stale_if_error)",
			p.StaleIfError, p.Keep)
	}
	if p.Keep == 0 {
		p.Keep = -1
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
	if stale >= 0 {
		if p.TTL > 0 && stale >= p.TTL {
			d.warn(l, "stale %v is not less than ttl %v: entries expire before they turn stale", stale, p.TTL)
		}
		p.Stale = max(stale, time.Nanosecond)
	}
	return p, l
}

// durationText writes a duration as the dump and messages show it.
func durationText(v time.Duration) string { return v.String() }
