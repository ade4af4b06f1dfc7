package config

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// definitionDigestLen is the number of hex digits of an unnamed
// endpoint's identity digest (48 bits).
const definitionDigestLen = 12

// identify gives every unnamed endpoint its ID: "def-" and a digest of
// its request predicates and extractors, as the dump writes them (without
// positions, defaults filled in). What decides which requests an
// endpoint's entries answer is all it covers, so inserting, removing or
// reordering other endpoints, renaming nothing, or editing the response
// predicates or the policy keeps an endpoint's entries across a reload;
// its position would not. Identical definitions (which answer the same
// requests with the same keys) are told apart by "-2", "-3", ... in file
// order. A name equal to such an identity is an error at that name.
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
		seen[id]++
		if n := seen[id]; n > 1 {
			id += "-" + strconv.Itoa(n)
		}
		if j, taken := named[id]; taken && j < len(items) {
			at := items[j]
			if n := at.get("name"); n != nil {
				at = n
			}
			d.fail(at, indexPath(path, j)+".name", ErrValue,
				"endpoint name %q is the identity of the unnamed endpoint %s: choose another name", id, indexPath(path, i))
		}
		ep.ID = id
	}
}

// definitionDigest is the digest of an endpoint's request predicates and
// extractors.
func definitionDigest(ep *Endpoint) string {
	var b strings.Builder
	b.WriteString("request:")
	dumpPredicate(&b, ep.request, "  ")
	b.WriteString("extractors:\n")
	dumpKeyers(&b, ep.extractors, "  ")
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])[:definitionDigestLen]
}
