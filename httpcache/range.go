package httpcache

import (
	"net/http"
	"strconv"
	"strings"
)

// Range requests (RFC 9110 §14) are answered from a whole 200 response,
// stored or just recorded: a single satisfiable range gets 206 Partial
// Content with Content-Range, an unsatisfiable one 416 Range Not
// Satisfiable with "Content-Range: bytes */size". Several ranges, a Range
// that does not parse, an If-Range that does not match the response's
// strong ETag or its Last-Modified exactly, a request other than GET and a
// status other than 200 get the whole response (RFC 9110 lets a server
// ignore Range). A partial response from the upstream (206, or any
// response with Content-Range) is never stored.

// sliceRange applies req's Range to a whole response of status with body
// and header h: it returns the status and body to send and adjusts h
// (Content-Range, Content-Length) when it answers a range.
func sliceRange(req *http.Request, h http.Header, status int, body []byte) (int, []byte) {
	spec := req.Header.Get("Range")
	if spec == "" || status != http.StatusOK || req.Method != http.MethodGet || len(h["Content-Range"]) > 0 {
		return status, body
	}
	if !ifRangeHolds(req.Header.Get("If-Range"), h) {
		return status, body
	}
	size := int64(len(body))
	start, end, ok := parseRange(spec, size)
	switch {
	case !ok:
		return status, body
	case start < 0:
		h["Content-Range"] = []string{"bytes */" + strconv.FormatInt(size, 10)}
		h["Content-Length"] = []string{"0"}
		delete(h, "Content-Type")
		return http.StatusRequestedRangeNotSatisfiable, nil
	}
	h["Content-Range"] = []string{"bytes " + strconv.FormatInt(start, 10) + "-" + strconv.FormatInt(end, 10) + "/" + strconv.FormatInt(size, 10)}
	h["Content-Length"] = []string{strconv.FormatInt(end-start+1, 10)}
	return http.StatusPartialContent, body[start : end+1]
}

// parseRange parses a Range header of one byte range against a body of
// size bytes: the first and last byte, or start < 0 when the range is
// unsatisfiable; ok is false when the header is not one byte range that
// parses (the whole body is then served).
func parseRange(spec string, size int64) (start, end int64, ok bool) {
	rest, found := strings.CutPrefix(spec, "bytes=")
	if !found || strings.Contains(rest, ",") {
		return 0, 0, false
	}
	first, last, found := strings.Cut(strings.TrimSpace(rest), "-")
	if !found {
		return 0, 0, false
	}
	if first == "" { // the last n bytes
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 || !digits(last) {
			return 0, 0, false
		}
		if n == 0 || size == 0 {
			return -1, 0, true
		}
		return max(size-n, 0), size - 1, true
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil || !digits(first) {
		return 0, 0, false
	}
	end = size - 1
	if last != "" {
		e, err := strconv.ParseInt(last, 10, 64)
		if err != nil || !digits(last) || e < start {
			return 0, 0, false
		}
		end = min(e, size-1)
	}
	if start >= size {
		return -1, 0, true
	}
	return start, end, true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// ifRangeHolds reports whether an If-Range value (empty: none) matches the
// response: its strong ETag, or exactly its Last-Modified date.
func ifRangeHolds(ir string, h http.Header) bool {
	switch {
	case ir == "":
		return true
	case strings.HasPrefix(ir, `"`):
		et := h.Get("Etag")
		return et != "" && et == ir
	case strings.HasPrefix(ir, "W/"):
		return false
	}
	lm := h.Get("Last-Modified")
	t1, err1 := http.ParseTime(ir)
	t2, err2 := http.ParseTime(lm)
	return err1 == nil && err2 == nil && t1.Equal(t2)
}

// partial reports whether a response is partial content, which is never
// stored under the full key.
func partial(status int, h http.Header) bool {
	return status == http.StatusPartialContent || len(h["Content-Range"]) > 0
}
