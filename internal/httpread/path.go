package httpread

import "net/http"

// Path returns the path of r as sent, [url.URL.EscapedPath], or "/" when
// that is empty (a request for "http://host"). It returns "" for a nil
// request or URL. Path predicates and key extractors read it.
func Path(r *http.Request) string {
	if r == nil || r.URL == nil {
		return ""
	}
	if p := r.URL.EscapedPath(); p != "" {
		return p
	}
	return "/"
}
