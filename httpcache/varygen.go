package httpcache

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"strconv"
)

// Marker generations: how the Rfc9111 mode invalidates every variant of
// a URI at once (§4.4) though variant keys cannot be listed. A marker of
// generation N > 0 ("hv", version 2, uvarint N, then a version 1 marker's
// count and names) selects variant keys of its own: the digest of the
// generation and the request's version 1 variant. Invalidation replaces
// the marker with one of the next generation, so the variants stored
// before are never found again (they expire on their own; each lives no
// longer than the policy's TTL, the marker no less). Generation 0 is the
// version 1 marker: the Hitbox mode's keys are unchanged.

// markerMagicGen starts a marker with a generation.
const markerMagicGen = "hv\x02"

// encodeMarkerGen encodes a marker of generation gen.
func encodeMarkerGen(names []string, gen uint64) []byte {
	if gen == 0 {
		return encodeMarker(names)
	}
	b := binary.AppendUvarint([]byte(markerMagicGen), gen)
	return append(b, encodeMarker(names)[len(markerMagic):]...)
}

// parseMarkerGen returns the names and generation of a marker of either
// version; false for anything else.
func parseMarkerGen(b []byte) ([]string, uint64, bool) {
	if len(b) <= len(markerMagicGen) || string(b[:len(markerMagicGen)]) != markerMagicGen {
		names, ok := parseMarker(b)
		return names, 0, ok
	}
	gen, n := binary.Uvarint(b[len(markerMagicGen):])
	if n <= 0 || gen == 0 {
		return nil, 0, false
	}
	names, ok := parseMarker(append([]byte(markerMagic), b[len(markerMagicGen)+n:]...))
	return names, gen, ok
}

// variantOfGen is the variant of r for the names of a marker of
// generation gen.
func variantOfGen(r *http.Request, names []string, gen uint64) string {
	v := variantOf(r, names)
	if gen == 0 {
		return v
	}
	sum := sha256.Sum256([]byte(strconv.FormatUint(gen, 10) + "/" + v))
	return hex.EncodeToString(sum[:variantLen/2])
}
