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

// defaultPolicy is the policy of an endpoint without one: Enabled{ttl: 5}.
func defaultPolicy(path string) Policy {
	ttl := defaultTTL
	return Policy{Loc: Loc{Path: path}, TTL: &ttl, Keep: hitbox.DefaultKeep, StaleMode: hitbox.StaleReturn, Concurrency: 1}
}

func (d *decoder) endpoint(n *node, path string) *Endpoint {
	ep := &Endpoint{Name: path, Loc: loc(n, path), KeyHost: true}
	fs, ok := d.fields(n, path, "an endpoint mapping (name, request, response, extractors, tags, policy, key_host, upstream_timeout, semantics)", false,
		"name", "request", "response", "extractors", "tags", "policy", "key_host", "upstream_timeout", "semantics")
	if !ok {
		fs = map[string]entry{}
	}
	d.text(fs, "name", &ep.ID, "a name", "empty endpoint name")
	ep.Name = cmp.Or(ep.ID, ep.Name)
	set(fs, "key_host", &ep.KeyHost, d.boolean)
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
	if e, ok := fs["policy"]; ok && e.val.kind != kindNull {
		ep.Policy = d.policy(e.val, e.path)
	} else {
		ep.Policy = defaultPolicy(joinPath(path, "policy"))
	}
	set(fs, "upstream_timeout", &ep.UpstreamTimeout, d.positiveDuration)
	set(fs, "semantics", &ep.Semantics, d.semantics)
	return ep
}

// defaultCond is the predicates of an endpoint that writes none: an And
// of the default, placed at path.
func defaultCond(path string, s side, leaf *cond) *cond {
	leaf.loc = Loc{Path: path}
	return (&cond{kind: "And", loc: Loc{Path: path}, kids: []*cond{leaf}}).join(s)
}

// policy decodes `Enabled: {...}`, `Disabled`, or their bare names.
func (d *decoder) policy(n *node, path string) Policy {
	p := Policy{Loc: loc(n, path), Keep: hitbox.DefaultKeep, StaleMode: hitbox.StaleReturn, Concurrency: 1}
	var val *node
	var vpath string
	switch n.kind {
	case kindString:
		i, _ := d.enum(n, path, "policy", []string{"", "Enabled", "Disabled"})
		p.Disabled = i == 2
		return p
	case kindMap:
		key, v, vp, ok := d.single(n, path, "policy", []string{"Enabled", "Disabled"})
		if !ok {
			return p
		}
		if key == "Disabled" {
			p.Disabled = true
			if v.kind != kindNull && !(v.kind == kindMap && len(v.keys) == 0) {
				d.fail(v, vp, ErrValue, "Disabled takes no settings")
			}
			return p
		}
		val, vpath = v, vp
	default:
		d.wrongType(n, path, "Enabled: {...} or Disabled")
		return p
	}
	fs, ok := d.fields(val, vpath, "a mapping (ttl, stale, keep, stale_if_error, policy, concurrency)", true,
		"ttl", "stale", "keep", "stale_if_error", "policy", "concurrency")
	if !ok {
		return p
	}
	set(fs, "ttl", &p.TTL, func(n *node, path string) (*time.Duration, bool) {
		v, ok := d.positive("ttl 0 would expire every entry at once: omit ttl for entries that never expire, or write Disabled")(n, path)
		return &v, ok
	})
	set(fs, "stale", &p.Stale, func(n *node, path string) (*time.Duration, bool) {
		v, ok := d.duration(n, path)
		return &v, ok
	})
	set(fs, "keep", &p.Keep, d.duration)
	if e, ok := fs["stale_if_error"]; ok {
		if v, ok := d.duration(e.val, e.path); ok {
			if v > p.Keep {
				d.fail(e.val, e.path, ErrValue, "stale_if_error %v is more than keep %v: an expired entry is gone after keep (raise keep, or lower stale_if_error)",
					durationText(v), durationText(p.Keep))
			} else {
				p.StaleIfError = v
			}
		}
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
