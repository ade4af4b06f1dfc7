package config

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// definitionDigestLen is the hex digits of an identity digest (48 bits).
const definitionDigestLen = 12

// identify gives every unnamed endpoint its ID: "def-" and a digest of
// its request predicates and extractors as the dump writes them, which
// other endpoints' edits do not change (docs/config.md). Identical
// definitions get "-2", "-3", ... in file order. A name equal to such an
// identity is an error.
func (d *decoder) identify(eps []*Endpoint, items []*node, path string) {
	named := make(map[string]int, len(eps))
	for i, ep := range eps {
		if ep.ID != "" {
			named[ep.ID] = i
		}
	}
	seen := make(map[string]int)
	for i, ep := range eps {
		if ep.ID != "" {
			continue
		}
		id := "def-" + definitionDigest(ep)
		if seen[id]++; seen[id] > 1 {
			id += "-" + strconv.Itoa(seen[id])
		}
		if j, taken := named[id]; taken {
			d.fail(cmp.Or(items[j].get("name"), items[j]), indexPath(path, j)+".name", ErrValue,
				"endpoint name %q is the identity of the unnamed endpoint %s: choose another name", id, indexPath(path, i))
		}
		ep.ID = id
	}
}

// definitionDigest digests an endpoint's request predicates and extractors.
func definitionDigest(ep *Endpoint) string {
	var b strings.Builder
	b.WriteString("request:")
	dumpPredicate(&b, ep.request, "  ")
	b.WriteString("extractors:\n")
	dumpKeyers(&b, ep.extractors, "  ")
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])[:definitionDigestLen]
}
