package main

// The kinds of traffic: each is a path prefix the origin serves in its own
// way and an endpoint of hitboxd's file.

import (
	"strconv"
	"strings"

	"github.com/hitbox-go/hitbox/httpcache"
)

// kind is one kind of traffic.
type kind int

const (
	kindHot     kind = iota // a small hot key set: hits
	kindCold                // a large cold key space: misses
	kindStale               // short ttl and stale, OffloadRevalidate
	kindLarge               // 1–4 MiB bodies, stored
	kindHuge                // bodies over hitboxd's per-entry limit: streamed, never stored
	kindChunked             // no Content-Length, flushed in pieces
	kindSlow                // answers after a few seconds
	kindFail                // every other answer is a deliberate 500
	kindReset               // the origin cuts connections, before or inside the body
	numKinds
)

// spec describes a kind.
type spec struct {
	name   string
	weight int // share of the requests, out of the sum of weights
	keys   int // distinct ids requested
}

// specs is the traffic mix; it is never modified.
var specs = [numKinds]spec{
	kindHot:     {"hot", 400, 64},
	kindCold:    {"cold", 200, 1_000_000},
	kindStale:   {"stale", 120, 16},
	kindLarge:   {"large", 40, 8},
	kindHuge:    {"huge", 5, 4},
	kindChunked: {"chunked", 80, 32},
	kindSlow:    {"slow", 30, 16},
	kindFail:    {"fail", 60, 16},
	kindReset:   {"reset", 60, 16},
}

func (k kind) String() string {
	if k >= 0 && k < numKinds {
		return specs[k].name
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// path returns the path of id under kind k: /<kind>/<id>.
func (k kind) path(id int) string { return "/" + k.String() + "/" + strconv.Itoa(id) }

// parsePath is the inverse of path.
func parsePath(p string) (kind, int, bool) {
	name, idText, ok := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	if !ok {
		return 0, 0, false
	}
	id, err := strconv.Atoi(idText)
	if err != nil || id < 0 {
		return 0, 0, false
	}
	for k := range numKinds {
		if specs[k].name == name && id < specs[k].keys {
			return k, id, true
		}
	}
	return 0, 0, false
}

// entryLimit is hitboxd's per-entry limit: larger bodies stream through
// uncached. The file has no field for it yet, so it is the built-in one.
const entryLimit = httpcache.DefaultMaxBody

// size is the payload size the origin answers for id of kind k.
func (k kind) size(id int) int {
	const kib, mib = 1 << 10, 1 << 20
	switch k {
	case kindHot:
		return kib + id%8*kib
	case kindCold:
		return 2*kib + id%15*kib
	case kindLarge:
		// 1 MiB to 4 MiB, evenly spread over the ids.
		return mib + id*3*mib/max(specs[kindLarge].keys-1, 1)
	case kindHuge:
		return entryLimit + mib/2 + id*64*kib
	case kindChunked:
		return 16*kib + id*32*kib
	case kindReset:
		return 256 * kib
	default:
		return 4 * kib
	}
}

// expected says whether an error of class c is what kind k asks for: the
// origin's deliberate 500s, and the 502s and cut transfers of a reset
// connection. A corrupt body is never expected.
func (k kind) expected(c errClass) bool {
	switch k {
	case kindFail:
		return c == err500
	case kindReset:
		return c == err502 || c == errTransport
	}
	return false
}
