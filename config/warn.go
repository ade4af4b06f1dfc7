package config

import (
	"strings"

	"github.com/hitbox-go/hitbox/predicate"
)

// check adds the warnings of a valid file.
func (d *decoder) check(f *File) {
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
		} else if alwaysTrue(ep.Request) {
			catchAll = ep
		}
		if !excludes(ep.Request, "Authorization") && !keyedBy(ep.Extractors, "Authorization") {
			d.warn(predicateLoc(ep, ep.Request, "request"),
				"requests with an Authorization header may be cached and served to other clients: add `- Not: {Header: {Authorization: {exist: ~}}}` to request, or key by the header")
		}
		if !excludes(ep.Response, "Set-Cookie") {
			d.warn(predicateLoc(ep, ep.Response, "response"),
				"responses with a Set-Cookie header may be cached and served to other clients: add `- Not: {Header: {Set-Cookie: {exist: ~}}}` to response")
		}
		if !keyFromURL(ep.Extractors) && !pinsPath(ep.Request) {
			l := ep.Loc
			if len(ep.Extractors) > 0 && ep.Extractors[0].Loc.Line > 0 {
				l = ep.Extractors[0].Loc
				l.Path = l.Path[:strings.LastIndex(l.Path, "[")]
			}
			d.warn(l, "the key has no part from the path or the query: requests for different URLs share one entry")
		}
	}
}

// predicateLoc is where a warning about an endpoint's predicates goes: the
// predicates when the file wrote them, else the endpoint.
func predicateLoc(ep *Endpoint, p *Predicate, field string) Loc {
	l := ep.Loc
	if p != nil && p.Loc.Line > 0 {
		l = p.Loc
	}
	l.Path = joinPath(ep.Loc.Path, field)
	return l
}

// excludes reports whether p is false for every message carrying the
// header (so a message with it is never cached).
func excludes(p *Predicate, header string) bool {
	if p == nil {
		return false
	}
	switch p.Kind {
	case And:
		for _, op := range p.Operands {
			if excludes(op, header) {
				return true
			}
		}
	case Or:
		for _, op := range p.Operands {
			if !excludes(op, header) {
				return false
			}
		}
		return len(p.Operands) > 0
	case Not:
		return implies(p.Operands[0], header)
	}
	return false
}

// implies reports whether p holds for every message carrying the header.
func implies(p *Predicate, header string) bool {
	if p == nil {
		return true
	}
	switch p.Kind {
	case And:
		for _, op := range p.Operands {
			if !implies(op, header) {
				return false
			}
		}
		return true
	case Or:
		if len(p.Operands) == 0 {
			return true
		}
		for _, op := range p.Operands {
			if implies(op, header) {
				return true
			}
		}
	case Not:
		return excludes(p.Operands[0], header)
	case Header:
		return strings.EqualFold(strings.TrimSpace(p.Name), header) && p.Op.Kind == OpExist
	}
	return false
}

// alwaysTrue reports whether p holds for every message.
func alwaysTrue(p *Predicate) bool {
	if p == nil {
		return true
	}
	switch p.Kind {
	case And:
		for _, op := range p.Operands {
			if !alwaysTrue(op) {
				return false
			}
		}
		return true
	case Or:
		if len(p.Operands) == 0 {
			return true
		}
		for _, op := range p.Operands {
			if alwaysTrue(op) {
				return true
			}
		}
	}
	return false
}

// keyedBy reports whether the key has a part from the header, so that
// messages with different values never share an entry.
func keyedBy(es []*Extractor, header string) bool {
	for _, e := range es {
		if e.Kind != HeaderKey {
			continue
		}
		if e.Prefix && strings.HasPrefix(strings.ToLower(header), strings.ToLower(e.Name)) ||
			!e.Prefix && strings.EqualFold(e.Name, header) && e.Value == "" {
			return true
		}
	}
	return false
}

// keyFromURL reports whether the key has a part from the path or query.
func keyFromURL(es []*Extractor) bool {
	for _, e := range es {
		switch e.Kind {
		case QueryKey:
			return true
		case PathKey:
			if p, err := predicate.Path(e.Pattern); err == nil && len(p.Names()) > 0 {
				return true
			}
		}
	}
	return false
}

// pinsPath reports whether p only accepts one exact path (a Path predicate
// without parameters or wildcard that must hold), so that the key needs
// no part from it.
func pinsPath(p *Predicate) bool {
	if p == nil {
		return false
	}
	switch p.Kind {
	case And:
		for _, op := range p.Operands {
			if pinsPath(op) {
				return true
			}
		}
	case Path:
		pp, err := predicate.Path(p.Pattern)
		return err == nil && len(pp.Names()) == 0 && !strings.Contains(p.Pattern, "*")
	}
	return false
}
