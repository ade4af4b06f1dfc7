package rfc9111

import (
	"net/http"
	"testing"
	"time"
)

func TestDecide(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		cfg    Config
		reqH   http.Header
		respCC string
		at     time.Duration // since the response arrived with age 0
		want   Decision
	}{
		{"§4.2 fresh is served", Config{}, nil, "max-age=60", 30 * time.Second, Serve},
		{"§4.2 stale is revalidated", Config{}, nil, "max-age=60", 60 * time.Second, Revalidate},
		{"§5.2.2.4 response no-cache revalidates even when fresh", Config{}, nil, "no-cache, max-age=60", 0, Revalidate},
		{"§5.2.1.4 request no-cache revalidates", Config{}, h("Cache-Control", "no-cache"), "max-age=60", 0, Revalidate},
		{"§5.4 Pragma: no-cache without Cache-Control revalidates", Config{}, h("Pragma", "no-cache"), "max-age=60", 0, Revalidate},
		{"§5.4 Pragma: no-cache is ignored beside Cache-Control", Config{}, h("Pragma", "no-cache", "Cache-Control", "max-age=600"), "max-age=60", 0, Serve},
		{"§5.2.1.1 request max-age older than the age revalidates", Config{}, h("Cache-Control", "max-age=10"), "max-age=60", 11 * time.Second, Revalidate},
		{"§5.2.1.1 request max-age equal to the age serves", Config{}, h("Cache-Control", "max-age=10"), "max-age=60", 10 * time.Second, Serve},
		{"§5.2.1.1 request max-age=0 revalidates", Config{}, h("Cache-Control", "max-age=0"), "max-age=60", time.Second, Revalidate},
		{"§5.2.1.1 invalid request max-age counts as 0", Config{}, h("Cache-Control", "max-age=x"), "max-age=60", time.Second, Revalidate},
		{"§5.2.1.3 min-fresh met", Config{}, h("Cache-Control", "min-fresh=10"), "max-age=60", 49 * time.Second, Serve},
		{"§5.2.1.3 min-fresh not met revalidates", Config{}, h("Cache-Control", "min-fresh=10"), "max-age=60", 50 * time.Second, Revalidate},
		{"§5.2.1.3 min-fresh not met is not served by stale-while-revalidate", Config{}, h("Cache-Control", "min-fresh=10"), "max-age=60, stale-while-revalidate=60", 55 * time.Second, Revalidate},
		{"§5.2.1.2 max-stale without value serves any stale", Config{}, h("Cache-Control", "max-stale"), "max-age=60", time.Hour, ServeStale},
		{"§5.2.1.2 max-stale within its value", Config{}, h("Cache-Control", "max-stale=30"), "max-age=60", 90 * time.Second, ServeStale},
		{"§5.2.1.2 max-stale exceeded revalidates", Config{}, h("Cache-Control", "max-stale=30"), "max-age=60", 91 * time.Second, Revalidate},
		{"§5.2.2.2 must-revalidate beats max-stale", Config{}, h("Cache-Control", "max-stale"), "max-age=60, must-revalidate", 61 * time.Second, Revalidate},
		{"§5.2.2.8 proxy-revalidate beats max-stale in a shared cache", Config{}, h("Cache-Control", "max-stale"), "max-age=60, proxy-revalidate", 61 * time.Second, Revalidate},
		{"§5.2.2.8 proxy-revalidate does not bind a private cache", Config{Private: true}, h("Cache-Control", "max-stale"), "max-age=60, proxy-revalidate", 61 * time.Second, ServeStale},
		{"§5.2.2.10 s-maxage beats max-stale in a shared cache", Config{}, h("Cache-Control", "max-stale"), "s-maxage=60", 61 * time.Second, Revalidate},
		{"RFC 5861 §3 stale-while-revalidate window serves and revalidates", Config{}, nil, "max-age=60, stale-while-revalidate=30", 90 * time.Second, ServeStaleRevalidate},
		{"RFC 5861 §3 past the stale-while-revalidate window revalidates", Config{}, nil, "max-age=60, stale-while-revalidate=30", 91 * time.Second, Revalidate},
		{"§4.2.4 must-revalidate beats stale-while-revalidate", Config{}, nil, "max-age=60, stale-while-revalidate=30, must-revalidate", 61 * time.Second, Revalidate},
		{"§5.2.1.7 only-if-cached with a fresh response serves", Config{}, h("Cache-Control", "only-if-cached"), "max-age=60", 0, Serve},
		{"§5.2.1.7 only-if-cached with a stale response is 504", Config{}, h("Cache-Control", "only-if-cached"), "max-age=60", 61 * time.Second, GatewayTimeout},
		{"§5.2.1.7 only-if-cached with max-stale serves stale", Config{}, h("Cache-Control", "only-if-cached, max-stale"), "max-age=60", 61 * time.Second, ServeStale},
		{"§5.2.1.7 only-if-cached with no-cache is 504", Config{}, h("Cache-Control", "only-if-cached, no-cache"), "max-age=60", 0, GatewayTimeout},
		{"§4.2.1 invalid max-age is stale at once", Config{}, nil, "max-age=-1", 0, Revalidate},
		{"§4.2.2 no freshness at all is stale at once", Config{}, nil, "", 0, Revalidate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp := tc.cfg.ParseResponse(200, h("Cache-Control", tc.respCC))
			f := tc.cfg.Freshness(resp, t0, t0)
			got := Decide(ParseRequest(http.MethodGet, tc.reqH), f, t0.Add(tc.at))
			if got != tc.want {
				t.Errorf("Decide(request %v, response %q, at +%v) = %v, want %v", tc.reqH, tc.respCC, tc.at, got, tc.want)
			}
		})
	}
}

func TestStaleIfError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		reqH   http.Header
		respCC string
		at     time.Duration
		want   bool
	}{
		{"RFC 5861 §4 within the response's stale-if-error", nil, "max-age=60, stale-if-error=60", 120 * time.Second, true},
		{"RFC 5861 §4 past the response's stale-if-error", nil, "max-age=60, stale-if-error=60", 121 * time.Second, false},
		{"RFC 5861 §4 within the request's stale-if-error", h("Cache-Control", "stale-if-error=30"), "max-age=60", 90 * time.Second, true},
		{"RFC 5861 §4 past the request's stale-if-error", h("Cache-Control", "stale-if-error=30"), "max-age=60", 91 * time.Second, false},
		{"§5.2.1.2 max-stale allows stale on error", h("Cache-Control", "max-stale"), "max-age=60", time.Hour, true},
		{"§4.2.4 no stale-if-error: no stale on error", nil, "max-age=60", 61 * time.Second, false},
		{"§5.2.2.2 must-revalidate beats stale-if-error", nil, "max-age=60, must-revalidate, stale-if-error=600", 61 * time.Second, false},
		{"§5.2.2.4 no-cache beats stale-if-error", nil, "no-cache, stale-if-error=600", time.Second, false},
		{"§5.2.1.4 request no-cache beats stale-if-error", h("Cache-Control", "no-cache"), "max-age=60, stale-if-error=600", 61 * time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := Config{}
			f := c.Freshness(c.ParseResponse(200, h("Cache-Control", tc.respCC)), t0, t0)
			if got := StaleIfError(ParseRequest(http.MethodGet, tc.reqH), f, t0.Add(tc.at)); got != tc.want {
				t.Errorf("StaleIfError(request %v, response %q, at +%v) = %v, want %v", tc.reqH, tc.respCC, tc.at, got, tc.want)
			}
		})
	}
}

func TestDecisionString(t *testing.T) {
	t.Parallel()
	for d, want := range map[Decision]string{Serve: "serve", ServeStaleRevalidate: "serve-stale-revalidate", GatewayTimeout: "gateway-timeout", 0: "", 99: "decision?"} {
		if got := d.String(); got != want {
			t.Errorf("Decision(%d).String() = %q, want %q", d, got, want)
		}
	}
	for s, want := range map[Source]string{FromSMaxAge: "s-maxage", FromNothing: "none", 0: "", 99: "source?"} {
		if got := s.String(); got != want {
			t.Errorf("Source(%d).String() = %q, want %q", s, got, want)
		}
	}
}

func TestDecideNoOverflow(t *testing.T) {
	t.Parallel()
	// §1.2.2: an overflowing calculation must not make a stale response
	// look fresh. A Freshness whose response time is the zero time has an
	// age that saturates.
	f := Freshness{Lifetime: time.Hour, Source: FromMaxAge}
	req := ParseRequest(http.MethodGet, h("Cache-Control", "min-fresh=2147483648"))
	if got := Decide(req, f, t0); got != Revalidate {
		t.Errorf("Decide with a saturated age and min-fresh = %v, want revalidate", got)
	}
	if f.Fresh(t0) {
		t.Errorf("Fresh with a saturated age = true, want false")
	}
}
