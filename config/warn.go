package config

import (
	"slices"
	"strconv"
	"strings"

	"github.com/hitbox-go/hitbox/httpcache"
	"github.com/hitbox-go/hitbox/predicate"
)

// warnings adds the warnings of a valid file.
func (d *decoder) warnings(f *File) {
	if len(f.Endpoints) == 0 {
		d.warn(Loc{Path: "endpoints", Line: 1, Col: 1}, "no endpoints: every request goes to the upstream and nothing is cached")
	}
	var catchAll *Endpoint
	for _, ep := range f.Endpoints {
		if ep.Policy.Disabled {
			continue
		}
		if catchAll != nil {
			d.warn(ep.Loc, "never used: %s (at %d:%d) accepts every request first", catchAll.Name, catchAll.Loc.Line, catchAll.Loc.Col)
		} else if alwaysTrue(ep.request) {
			catchAll = ep
		}
		// Rfc9111 rules out Authorization requests (unless the response
		// says public or s-maxage) and Set-Cookie responses itself.
		hitboxMode := ep.Semantics != httpcache.SemanticsRfc9111
		if hitboxMode && !excludes(ep.request, "Authorization") && !keyedBy(ep.extractors, "Authorization") {
			d.warn(predicateLoc(ep, ep.request, "request"),
				"requests with an Authorization header may be cached and served to other clients: add `- Not: {Header: {Authorization: {exist: ~}}}` to request, or key by the header")
		}
		if !excludes(ep.request, "Cookie") && !keyedBy(ep.extractors, "Cookie") {
			d.warn(predicateLoc(ep, ep.request, "request"),
				"requests with a Cookie header may be cached and their answers served to other clients: add `- Not: {Header: {Cookie: {exist: ~}}}` to request, or key by the header")
		}
		if hitboxMode && !excludes(ep.response, "Set-Cookie") {
			d.warn(predicateLoc(ep, ep.response, "response"),
				"responses with a Set-Cookie header may be cached and served to other clients: add `- Not: {Header: {Set-Cookie: {exist: ~}}}` to response")
		}
		switch {
		case !hitboxMode:
			// Rfc9111 keys the whole target URI beside the extractors.
		case !keyFromURL(ep.extractors) && !pinsPath(ep.request):
			d.warn(extractorsLoc(ep), "the key has no part from the path or the query: requests for different URLs share one entry")
		case !slices.ContainsFunc(ep.extractors, func(e *keyer) bool { return e.kind == "Query" }):
			d.warn(extractorsLoc(ep),
				"the key has no part from the query: requests that differ only in their query string (?page=1, ?page=2) share one entry: key the parameters that change the answer (`- Query: page`), or all of them (`- Query: {name: {starts: \"\"}}`)")
		}
		if !constrains(ep.response, "Content-Type") {
			d.warnDeception(ep.request, false)
		}
		for _, e := range ep.extractors {
			if e.kind == "Path" && e.pattern != "" && !strings.ContainsRune("/*{", rune(e.pattern[0])) {
				d.warn(e.loc, "Path %q does not start with '/': it matches no request path and adds no part to the key (as in hitbox)", e.pattern)
			}
		}
	}
}

// extractorsLoc is where a warning about an endpoint's key goes: its
// extractors when the file wrote some, else the endpoint.
func extractorsLoc(ep *Endpoint) Loc {
	l := ep.Loc
	if len(ep.extractors) > 0 && ep.extractors[0].loc.Line > 0 {
		l = ep.extractors[0].loc
		l.Path = l.Path[:strings.LastIndex(l.Path, "[")]
	}
	return l
}

// warnDeception warns about the Path predicates of p (not under a Not)
// whose pattern holds a sequence a normalising upstream reads as another
// resource: the proxy never caches such a request (web cache deception).
func (d *decoder) warnDeception(p *cond, negated bool) {
	if p == nil {
		return
	}
	switch p.kind {
	case "And", "Or", "Not":
		for _, op := range p.kids {
			d.warnDeception(op, negated != (p.kind == "Not"))
		}
	case "Path":
		if why := deceptive(p.pattern); why != "" && !negated {
			d.warn(p.loc, "Path %q %s: requests whose path holds it are never cached (an upstream that decodes %%2F or %%2e, resolves \"..\", drops \";\" parameters or merges \"//\" may read such a path as another resource: web cache deception), so this predicate never lets a request be cached", p.pattern, why)
		}
	}
}

// constrains reports whether p holds only for messages whose header has
// a value the predicate names (eq, in, regex, ...): a response predicate
// on Content-Type keeps a private page a deceptive path reached from
// being stored as a static file.
func constrains(p *cond, header string) bool {
	return some(p, func(k *cond) bool { return k.isHeader(header) && !k.exist })
}

// some reports whether p has a property that an And has when one operand
// has it, an Or when it has operands and all have it, and other
// predicates when leaf says so.
func some(p *cond, leaf func(*cond) bool) bool {
	f := func(k *cond) bool { return some(k, leaf) }
	switch {
	case p == nil:
		return false
	case p.kind == "And":
		return slices.ContainsFunc(p.kids, f)
	case p.kind == "Or":
		return len(p.kids) > 0 && !slices.ContainsFunc(p.kids, func(k *cond) bool { return !f(k) })
	}
	return leaf(p)
}

// every is some's dual: an And has the property when all operands do, an
// Or when one does or it has none.
func every(p *cond, leaf func(*cond) bool) bool {
	return !some(p, func(k *cond) bool { return !leaf(k) })
}

func (c *cond) isHeader(header string) bool {
	return c.kind == "Header" && strings.EqualFold(strings.TrimSpace(c.name), header)
}

// deceptive says how a literal path pattern holds a sequence a normalising
// upstream reads differently, or "" (wildcards and {name} segments never
// match one for the cache).
func deceptive(pattern string) string {
	lower := strings.ToLower(pattern)
	for _, seq := range []string{"%2f", "%2e", "%5c", ";", "//"} {
		if strings.Contains(lower, seq) {
			return "holds " + strconv.Quote(seq)
		}
	}
	for _, seg := range strings.Split(lower, "/") {
		if seg == "." || seg == ".." {
			return "holds the dot-segment " + strconv.Quote(seg)
		}
	}
	return ""
}

// predicateLoc is where a warning about an endpoint's predicates goes: the
// predicates when the file wrote them, else the endpoint.
func predicateLoc(ep *Endpoint, p *cond, field string) Loc {
	l := ep.Loc
	if p != nil && p.loc.Line > 0 {
		l = p.loc
	}
	l.Path = joinPath(ep.Loc.Path, field)
	return l
}

// excludes reports whether p is false for every message carrying the
// header (so a message with it is never cached).
func excludes(p *cond, header string) bool {
	return some(p, func(k *cond) bool { return k.kind == "Not" && implies(k.kids[0], header) })
}

// implies reports whether p holds for every message carrying the header.
func implies(p *cond, header string) bool {
	return every(p, func(k *cond) bool {
		if k.kind == "Not" {
			return excludes(k.kids[0], header)
		}
		return k.isHeader(header) && k.exist
	})
}

// alwaysTrue reports whether p holds for every message.
func alwaysTrue(p *cond) bool { return every(p, func(*cond) bool { return false }) }

// keyedBy reports whether the key has a part from the header, so that
// messages with different values never share an entry.
func keyedBy(es []*keyer, header string) bool {
	return slices.ContainsFunc(es, func(e *keyer) bool {
		return e.kind == "Header" && (e.prefix && strings.HasPrefix(strings.ToLower(header), strings.ToLower(e.name)) ||
			!e.prefix && strings.EqualFold(e.name, header) && !e.value)
	})
}

// keyFromURL reports whether the key has a part from the path or query.
func keyFromURL(es []*keyer) bool {
	return slices.ContainsFunc(es, func(e *keyer) bool {
		p, err := predicate.Path(e.pattern)
		return e.kind == "Query" || e.kind == "Path" && err == nil && len(p.Names()) > 0
	})
}

// pinsPath reports whether p only accepts one exact path (a Path predicate
// without parameters or wildcard that must hold), so that the key needs
// no part from it.
func pinsPath(p *cond) bool {
	switch {
	case p == nil:
		return false
	case p.kind == "And":
		return slices.ContainsFunc(p.kids, pinsPath)
	case p.kind == "Path":
		pp, err := predicate.Path(p.pattern)
		return err == nil && len(pp.Names()) == 0 && !strings.Contains(p.pattern, "*")
	}
	return false
}
