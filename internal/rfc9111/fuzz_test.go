package rfc9111

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// FuzzParse checks that no field makes the parsers panic, that
// Directives.String reads back to the same Directives and is itself stable,
// and that the decisions built on any parse stay within their contracts.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "max-age=60", `no-cache="Set-Cookie, X-A", private`, `x="a\"b"`, "max-age=-1, max-age=2",
		"MAX-AGE=99999999999999999999", `community="UCI", max-stale`, "s-maxage=1;x", `"`, `a="b`,
		"max-age=60, stale-while-revalidate=30, stale-if-error=60", "?1", "no-store=?0, private=(\"a\" b)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := ParseCacheControl([]string{s})
		printed := d.String()
		again := ParseCacheControl([]string{printed})
		if diff := cmp.Diff(d, again); diff != "" {
			t.Fatalf("ParseCacheControl(%q) then String %q reads back differently (-first +second):\n%s", s, printed, diff)
		}
		if p2 := again.String(); p2 != printed {
			t.Fatalf("String not stable: %q then %q", printed, p2)
		}
		if td, ok := ParseTargeted([]string{s}); ok {
			back := ParseCacheControl([]string{td.String()})
			if diff := cmp.Diff(td, back); diff != "" {
				t.Fatalf("ParseTargeted(%q) printed as %q reads back differently (-first +second):\n%s", s, td.String(), diff)
			}
		}
		// The decisions never panic and a stored entry's age never goes
		// below its initial age.
		h := http.Header{"Cache-Control": {s}, "Cdn-Cache-Control": {s}, "Age": {s}, "Expires": {s}}
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for _, c := range []Config{{}, {Private: true, Heuristic: 0.1}} {
			resp := c.ParseResponse(200, h)
			req := ParseRequest(http.MethodGet, http.Header{"Cache-Control": {s}})
			c.Storable(req, resp)
			fr := c.Freshness(resp, now, now)
			if fr.Lifetime < 0 || fr.InitialAge < 0 {
				t.Fatalf("Freshness of %q: lifetime %v, initial age %v", s, fr.Lifetime, fr.InitialAge)
			}
			if dec := Decide(req, fr, now.Add(time.Hour)); dec < Serve || dec > GatewayTimeout {
				t.Fatalf("Decide on %q = %v", s, dec)
			}
		}
	})
}
