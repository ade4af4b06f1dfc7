package httpcache

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox"
)

// TestRfc9111KeyIsTheWholeURI: in the Rfc9111 mode the primary key holds
// the whole target URI (RFC 9111 §4), so requests that differ only in
// their query never share an entry, whatever the extractors say.
func TestRfc9111KeyIsTheWholeURI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var calls atomic.Int64
	h := e.middleware(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Cache-Control", "max-age=60")
		_, _ = w.Write([]byte("answer for " + r.URL.RequestURI()))
	}), []Endpoint{{Name: "x", Semantics: SemanticsRfc9111, Policy: hitbox.Enabled(time.Hour, 0)}})
	for _, target := range []string{"/x?a=1", "/x?a=2", "/x", "/x?a=1&b=2"} {
		if a := serve(t, h, http.MethodGet, target, ""); a.xcache != "MISS" || a.body != "answer for "+target {
			t.Errorf("first GET %s: %s %q, want a MISS with its own answer", target, a.xcache, a.body)
		}
		if a := serve(t, h, http.MethodGet, target, ""); a.xcache != "HIT" || a.body != "answer for "+target {
			t.Errorf("second GET %s: %s %q, want a HIT with its own answer", target, a.xcache, a.body)
		}
	}
	if n := calls.Load(); n != 4 {
		t.Errorf("upstream calls = %d, want 4 (one per URI)", n)
	}
}
