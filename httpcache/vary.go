package httpcache

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"unsafe"

	"github.com/hitbox-go/hitbox"
)

// Vary, in every mode, as a secondary key.
//
// A stored response without Vary lives under the request's key (the
// primary key), as always. A response with Vary is stored under a variant
// key: the primary key's namespace with a Variant (see [Scope]), a digest
// of the request's values of the headers Vary names. The primary key then
// holds a marker, the list of those names. A lookup that finds a marker
// computes the request's variant key and answers from it, or asks the
// upstream (a MISS with the usual miss strings) when that variant is not
// stored. The leader of a miss stores the variant before the marker, so a
// caller that finds the marker finds the variant of the leader's request.
// Every instance computes the same variant keys, so a fleet sharing a
// backend never serves one client's variant to another.
//
// A response whose Vary is "*", names more than maxVaryNames headers, or
// names X-Forwarded-For or Forwarded (which a proxy in front of the
// upstream rewrites per client, so the request's values are not what the
// upstream saw) is never stored. A response whose Vary differs from the
// marker's is stored under its own variant and the marker replaced.
//
// Origin is varied on whether or not Vary says so (see originVaried): a
// response to a request with an Origin, or granting an origin other than
// "*" in Access-Control-Allow-Origin, is stored as a variant by Origin,
// and an entry stored plain (for a request without Origin, granting no
// origin) is never served to a request with one. An upstream that grants
// origins without "Vary: Origin" would otherwise have one site's answer,
// with its grant or its refusal, served to every other site's browsers: a
// client could break a site's cross-origin readers at will.
//
// Independently of Vary, an entry whose Content-Encoding the request does
// not accept is never served: the request is forwarded and nothing is
// stored.

// markerMagic starts a marker: "hv", version 1, then a uvarint count and
// the length-prefixed header names. A cached response starts with "hc".
const markerMagic = "hv\x01"

// maxVaryNames bounds the names of a Vary that is stored.
const maxVaryNames = 16

func encodeMarker(names []string) []byte {
	b := append([]byte(markerMagic), byte(len(names)))
	for _, n := range names {
		b = appendBytes(b, n)
	}
	return b
}

// parseMarker returns the names of a marker; false for anything else.
func parseMarker(b []byte) ([]string, bool) {
	if len(b) < len(markerMagic)+1 || string(b[:len(markerMagic)]) != markerMagic {
		return nil, false
	}
	d := decoder{b: b[len(markerMagic)+1:]}
	n := int(b[len(markerMagic)])
	if n == 0 || n > maxVaryNames {
		return nil, false
	}
	names := make([]string, 0, n)
	for range n {
		names = append(names, string(d.bytes()))
	}
	if d.err != nil || d.off != len(d.b) {
		return nil, false
	}
	return names, true
}

// header returns the values of the cached header key (compared
// case-insensitively), aliasing the parsed bytes.
func (v *view) header(key string) []string {
	s := unsafe.String(unsafe.SliceData(v.hdr), len(v.hdr))
	d := decoder{b: v.hdr}
	var out []string
	for range v.nkeys {
		k := d.str(s)
		nv := int(d.uvarint())
		match := strings.EqualFold(k, key)
		for range nv {
			val := d.str(s)
			if match {
				out = append(out, val)
			}
		}
	}
	return out
}

// varyOf reads the Vary of a cached response: the header names,
// canonical, sorted and without duplicates; never is true when the
// response must not be stored (see the notes above).
func varyOf(v *view) (names []string, never bool) {
	for _, line := range v.header("Vary") {
		for f := range strings.SplitSeq(line, ",") {
			f = strings.TrimSpace(f)
			switch {
			case f == "":
				continue
			case f == "*":
				return nil, true
			}
			n := textproto.CanonicalMIMEHeaderKey(f)
			if n == "X-Forwarded-For" || n == "Forwarded" {
				return nil, true
			}
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	if len(names) > maxVaryNames {
		return nil, true
	}
	slices.Sort(names)
	return names, false
}

// variantOf is the secondary key of r for the Vary names: a digest of
// the request's normalised values of those headers (an absent header is
// not an empty one).
func variantOf(r *http.Request, names []string) string {
	h := sha256.New()
	var b []byte
	for _, n := range names {
		b = appendBytes(b[:0], n)
		vals, present := r.Header[n]
		if n == "Host" {
			vals, present = []string{r.Host}, true
		}
		if !present {
			b = append(b, 0)
			_, _ = h.Write(b)
			continue
		}
		b = append(b, 1)
		norm := normalizeVaried(n, vals)
		b = binary.AppendUvarint(b, uint64(len(norm)))
		for _, v := range norm {
			b = appendBytes(b, v)
		}
		_, _ = h.Write(b)
	}
	sum := h.Sum(nil)
	return hex.EncodeToString(sum[:variantLen/2])
}

// normalizeVaried returns the values of a varied header in the form two
// requests the upstream must answer alike share: Accept-Encoding as the
// sorted set of codings it accepts; Accept-Language and Accept-Charset
// lower-cased without spaces; any other header as its trimmed lines.
func normalizeVaried(name string, vals []string) []string {
	switch name {
	case "Accept-Encoding":
		acc := parseAcceptEncoding(vals)
		out := make([]string, 0, len(acc))
		for c, q := range acc {
			if q {
				out = append(out, c)
			}
		}
		slices.Sort(out)
		return out
	case "Accept-Language", "Accept-Charset":
		var b strings.Builder
		for i, v := range vals {
			if i > 0 {
				b.WriteByte(',')
			}
			for _, c := range []byte(strings.ToLower(v)) {
				if c != ' ' && c != '\t' {
					b.WriteByte(c)
				}
			}
		}
		return []string{b.String()}
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = strings.TrimSpace(v)
	}
	return out
}

// parseAcceptEncoding maps each coding an Accept-Encoding lists (lower
// case, "x-gzip" read as "gzip", "x-compress" as "compress", "*" kept) to
// whether it is accepted (q above 0).
func parseAcceptEncoding(vals []string) map[string]bool {
	acc := make(map[string]bool)
	for _, line := range vals {
		for f := range strings.SplitSeq(line, ",") {
			coding, params, _ := strings.Cut(f, ";")
			coding = canonicalCoding(coding)
			if coding == "" {
				continue
			}
			ok := true
			for p := range strings.SplitSeq(params, ";") {
				k, v, _ := strings.Cut(p, "=")
				if strings.EqualFold(strings.TrimSpace(k), "q") {
					q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
					ok = err == nil && q > 0
				}
			}
			acc[coding] = ok
		}
	}
	return acc
}

func canonicalCoding(c string) string {
	c = strings.ToLower(strings.TrimSpace(c))
	switch c {
	case "x-gzip":
		return "gzip"
	case "x-compress":
		return "compress"
	}
	return c
}

// acceptsEncoding reports whether r accepts every content coding of
// contentEncoding (the values of a response's Content-Encoding). A request
// without Accept-Encoding accepts only the identity: a cache must not
// hand a compressed body to a client that did not ask for one.
func acceptsEncoding(r *http.Request, contentEncoding []string) bool {
	var acc map[string]bool
	for _, line := range contentEncoding {
		for c := range strings.SplitSeq(line, ",") {
			c = canonicalCoding(c)
			if c == "" || c == "identity" {
				continue
			}
			if acc == nil {
				acc = parseAcceptEncoding(r.Header.Values("Accept-Encoding"))
			}
			ok, listed := acc[c]
			if !listed {
				ok = acc["*"]
			}
			if !ok {
				return false
			}
		}
	}
	return true
}

// servable reports whether a cached response may answer r: its
// Content-Encoding is one r accepts. Bytes that are no cached response
// are left to the caller (which treats them as undecodable).
func servable(r *http.Request, value []byte) bool {
	v, err := parse(value)
	if err != nil {
		return true
	}
	return acceptsEncoding(r, v.header("Content-Encoding"))
}

// variantKey is the key of the variant of primary (an encoded key of
// ours) named by variant; "" when primary is not one of ours.
func variantKey(primary, variant string) string {
	k, err := hitbox.ParseKey(primary)
	if err != nil {
		return ""
	}
	s, ok := ParseScope(k.Namespace)
	if !ok {
		return ""
	}
	s.Variant = variant
	k.Namespace = s.Namespace()
	if strings.HasPrefix(primary, "\x00") {
		return k.Encode(hitbox.KeyBinary)
	}
	return k.Encode(hitbox.KeyURLEncoded)
}

// fetcher asks the upstream for one call's request and returns its cached
// form when it may be stored: the per-call struct of each face. Passing it
// as an interface (rather than a method value) keeps a hit at one closure.
type fetcher interface {
	fetch(ctx context.Context) (hitbox.Fetched, error)
}

// undecodable handles cached bytes of p's key that failed to decode (not
// ours, or corrupted): it logs them and, when retry allows one more flow
// call, deletes the entry so that the call stores a fresh one, and reports
// whether to make that call.
func (c *core) undecodable(ctx context.Context, p *plan, retry bool) bool {
	c.cfg.logger.Warn("httpcache: cached response cannot be decoded", "key", p.key, "endpoint", p.ep.name)
	if !retry {
		return false
	}
	_, _ = c.cache.Delete(ctx, p.key)
	return true
}

// do answers r through the flow under req (the primary key), honouring
// Vary and Content-Encoding as the notes above say. fetch asks the
// upstream for r; led, owned by the call, receives the response its own
// fetch stored as a variant.
func (c *core) do(ctx context.Context, r *http.Request, req hitbox.Request, fetch fetcher, led *atomic.Pointer[[]byte]) (hitbox.Result, error) {
	res, err := c.cache.Do(ctx, req, c.settle(r, req, "", nil, fetch, led))
	if err != nil {
		return res, err
	}
	if names, gen, ok := parseMarkerGen(res.Value); ok {
		if p := led.Load(); p != nil && res.Status == hitbox.Miss {
			res.Value = *p // our fetch made the marker: serve what it fetched
			return res, nil
		}
		if res, err = c.variant(ctx, r, req, names, gen, fetch); err != nil {
			return res, err
		}
		if vm, ok := fetch.(varyNoter); ok && res.Forward == hitbox.ForwardMiss {
			vm.varyMissed()
		}
	}
	if originless(r, res) {
		// A plain entry, stored for a request without Origin: this
		// request's own answer may grant its origin or refuse it.
		if res, err = c.variant(ctx, r, req, []string{"Origin"}, 0, fetch); err != nil {
			return res, err
		}
	}
	if (res.Status == hitbox.Hit || res.Status == hitbox.Stale) && !servable(r, res.Value) {
		return c.forward(ctx, req, fetch)
	}
	return res, nil
}

// variant answers r from its variant of req's key for the Vary names of a
// marker of generation gen, asking the upstream and storing the answer
// where its Vary says on a miss; a key that cannot take a variant is
// forwarded, nothing stored.
func (c *core) variant(ctx context.Context, r *http.Request, req hitbox.Request, names []string, gen uint64, fetch fetcher) (hitbox.Result, error) {
	vreq := req
	if vreq.Key = variantKey(req.Key, variantOfGen(r, names, gen)); vreq.Key == "" {
		return c.forward(ctx, req, fetch)
	}
	return c.cache.Do(ctx, vreq, c.settle(r, req, vreq.Key, names, fetch, nil))
}

// forward asks the upstream for a request the cache cannot answer with
// what it holds (a Content-Encoding the client does not accept): a MISS,
// nothing stored.
func (c *core) forward(ctx context.Context, req hitbox.Request, fetch fetcher) (hitbox.Result, error) {
	res, err := c.cache.Do(ctx, hitbox.Request{Policy: hitbox.Disabled(), Endpoint: req.Endpoint}, fetch.fetch)
	res.Forward = hitbox.ForwardMiss
	return res, err
}

// settle wraps fetch so that a storable response lands where its Vary
// says. primary is the request under the primary key; vkey is "" for the
// lookup of the primary key, or the variant key looked up for the marker
// names. led receives a response stored as a variant by a primary lookup.
func (c *core) settle(r *http.Request, primary hitbox.Request, vkey string, names []string, fetch fetcher, led *atomic.Pointer[[]byte]) hitbox.Fetch {
	return func(ctx context.Context) (hitbox.Fetched, error) {
		f, err := fetch.fetch(ctx)
		if err != nil || !f.Store {
			return f, err
		}
		v, perr := parse(f.Value)
		if perr != nil {
			return f, nil
		}
		got, never := varyOf(&v)
		got = originVaried(got, r, &v, names)
		switch {
		case never:
			f.Store = false
			return f, nil
		case vkey == "" && len(got) == 0, vkey != "" && slices.Equal(got, names):
			return f, nil // it belongs where the flow stores it
		case len(got) == 0:
			// The upstream no longer varies: the response replaces the
			// marker.
			c.cache.SetFetched(ctx, primary, f)
			f.Store = false
			return f, nil
		}
		at := primary
		if at.Key = variantKey(primary.Key, variantOf(r, got)); at.Key == "" {
			f.Store = false
			return f, nil
		}
		c.cache.SetFetched(ctx, at, f)
		if vkey == "" {
			led.Store(&f.Value)
			return hitbox.Fetched{Value: encodeMarker(got), Store: true}, nil
		}
		// The upstream varies on other headers now.
		c.cache.Set(ctx, primary, encodeMarker(got))
		f.Store = false
		return f, nil
	}
}
