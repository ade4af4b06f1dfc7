package rfc9111

import (
	"net/http"
	"strings"
	"time"
)

// SetConditional adds to dst, the header of a request that validates a
// stored response (RFC 9111 §4.3.1), If-None-Match from the stored ETag
// and If-Modified-Since from the stored Last-Modified when it is a valid
// date. Fields the request already has are replaced.
func SetConditional(dst, stored http.Header) {
	if etags := stored["Etag"]; len(etags) > 0 {
		dst["If-None-Match"] = []string{strings.Join(etags, ", ")}
	}
	if lm, _, ok := date(stored, "Last-Modified"); ok {
		dst["If-Modified-Since"] = []string{lm.UTC().Format(http.TimeFormat)}
	}
}

// NotModified evaluates a client's conditional request against a stored
// response the cache would otherwise serve (RFC 9111 §4.3.2, RFC 9110
// §13.2.2) and reports whether to answer 304. Only GET and HEAD are
// evaluated; If-Match and If-Unmodified-Since are not for caches and are
// ignored. If-None-Match, when present, decides alone with the weak
// comparison; otherwise If-Modified-Since (a valid date) is compared with
// the stored Last-Modified, else its Date, else responseTime.
func NotModified(method string, req, stored http.Header, responseTime time.Time) bool {
	if method != http.MethodGet && method != http.MethodHead {
		return false
	}
	if inm := req["If-None-Match"]; len(inm) > 0 {
		return etagListMatch(inm, stored["Etag"], false)
	}
	ims, _, ok := date(req, "If-Modified-Since")
	if !ok {
		return false
	}
	last, _, ok := date(stored, "Last-Modified")
	if !ok {
		last = responseDate(stored, responseTime)
	}
	return !last.After(ims)
}

// etagListMatch reports whether one entity-tag of the lines matches one of
// have, weakly or strongly; "*" matches any stored response (RFC 9110
// §13.1.2: the resource has a current representation).
func etagListMatch(lines, have []string, strong bool) bool {
	for _, line := range lines {
		for rest := line; ; {
			var tag string
			tag, rest = nextETag(rest)
			if tag == "" {
				break
			}
			if tag == "*" {
				return true
			}
			for _, h := range have {
				if etagMatch(tag, strings.TrimSpace(h), strong) {
					return true
				}
			}
		}
	}
	return false
}

// nextETag returns the next element of an entity-tag list (commas inside
// the quoted opaque-tag do not split).
func nextETag(s string) (tag, rest string) {
	s = trimLeft(s, " \t,")
	if s == "" {
		return "", ""
	}
	i := 0
	if strings.HasPrefix(s, "W/") {
		i = 2
	}
	if i < len(s) && s[i] == '"' {
		if end := strings.IndexByte(s[i+1:], '"'); end >= 0 {
			return s[:i+end+2], s[i+end+2:]
		}
		return s, ""
	}
	end := strings.IndexByte(s, ',')
	if end < 0 {
		return strings.TrimSpace(s), ""
	}
	return strings.TrimSpace(s[:end]), s[end:]
}

// etagMatch compares two entity-tags (RFC 9110 §8.8.3.2): strongly (both
// strong and equal) or weakly (equal opaque tags).
func etagMatch(a, b string, strong bool) bool {
	aw, bw := strings.HasPrefix(a, "W/"), strings.HasPrefix(b, "W/")
	if strong && (aw || bw) {
		return false
	}
	return strings.TrimPrefix(a, "W/") == strings.TrimPrefix(b, "W/")
}

// notModifiedFields are the stored fields a 304 carries (RFC 9110 §15.4.5).
var notModifiedFields = [...]string{
	"Cache-Control", "Content-Location", "Date", "Etag", "Expires", "Last-Modified", "Vary",
}

// NotModifiedHeader returns the header of a 304 answering from a stored
// response: the stored fields RFC 9110 §15.4.5 lists (and Last-Modified).
// The slices are shared with stored.
func NotModifiedHeader(stored http.Header) http.Header {
	h := make(http.Header, len(notModifiedFields))
	for _, name := range notModifiedFields {
		if v, ok := stored[name]; ok {
			h[name] = v
		}
	}
	return h
}

// notUpdated are the stored fields a 304 or HEAD answer never replaces:
// the ones that describe the stored content itself (RFC 9111 §3.2 names
// Content-Length; the content coding and range are as binding on the
// bytes we keep).
var notUpdated = [...]string{"Content-Length", "Content-Encoding", "Content-Range"}

// Update returns the header of a stored response refreshed by a 304 (RFC
// 9111 §4.3.4) or a HEAD answer (§4.3.5): stored's fields, each field of
// from replacing all of stored's lines of that name (§3.2), except
// Content-Length, Content-Encoding, Content-Range and the fields
// [Config.StripForStore] drops. Date and Age describe the message, not the
// content: they are taken from from, and dropped when it lacks them, so
// that the age computed for the refreshed entry starts from the new
// response. Neither argument is modified; the result shares their slices.
// Compute the new [Freshness] from the result with the times of the
// validation request.
func (c Config) Update(stored, from http.Header) http.Header {
	h := make(http.Header, len(stored)+len(from))
	for k, v := range stored {
		h[k] = v
	}
	delete(h, "Date")
	delete(h, "Age")
	fresh := make(http.Header, 4)
	for k, v := range from {
		fresh[k] = v
	}
	c.StripForStore(fresh, c.ParseResponse(http.StatusNotModified, from).CC)
	for _, name := range notUpdated {
		delete(fresh, name)
	}
	for k, v := range fresh {
		h[k] = v
	}
	return h
}

// Selects reports whether a 304 (or HEAD answer) identifies a stored
// response for update (RFC 9111 §4.3.4): its strong entity-tag equals the
// stored one; or, without a strong one, its weak entity-tag matches
// weakly; or, without an entity-tag, its Last-Modified equals the stored
// one; or, with no validator at all, the stored response has none either
// (the caller then makes sure it is the only one stored).
func Selects(from, stored http.Header) bool {
	if etags := from["Etag"]; len(etags) > 0 {
		tag, _ := nextETag(etags[0])
		return etagListMatch([]string{tag}, stored["Etag"], !strings.HasPrefix(tag, "W/"))
	}
	if lm, _, ok := date(from, "Last-Modified"); ok {
		slm, _, sok := date(stored, "Last-Modified")
		return sok && slm.Equal(lm)
	}
	return len(stored["Etag"]) == 0 && len(stored["Last-Modified"]) == 0
}

// SelectsHead reports whether a 200 answer to a HEAD the cache sent may
// update a stored GET response (RFC 9111 §4.3.5): each validator it carries
// (ETag, Last-Modified) equals the stored one, and so does its
// Content-Length when it has one. When it reports false the stored
// response is to be treated as stale. Give stored a Content-Length equal to
// the stored body's length.
func SelectsHead(head, stored http.Header) bool {
	for _, name := range [...]string{"Etag", "Last-Modified", "Content-Length"} {
		v := head[name]
		if len(v) == 0 {
			continue
		}
		s := stored[name]
		if len(s) == 0 || strings.TrimSpace(s[0]) != strings.TrimSpace(v[0]) {
			return false
		}
	}
	return true
}
