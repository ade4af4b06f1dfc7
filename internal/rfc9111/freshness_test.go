package rfc9111

import (
	"net/http"
	"testing"
	"time"
)

// t0 is the time the tests' requests are sent; responses arrive at t0+1s.
var t0 = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

func httpDate(t time.Time) string { return t.UTC().Format(http.TimeFormat) }

func TestFreshnessLifetime(t *testing.T) {
	t.Parallel()
	date := httpDate(t0)
	for _, tc := range []struct {
		name   string
		cfg    Config
		status int
		h      http.Header
		want   time.Duration
		source Source
	}{
		{"§4.2.1 max-age", Config{}, 200, h("Cache-Control", "max-age=60"), 60 * time.Second, FromMaxAge},
		{"§4.2.1 s-maxage beats max-age in a shared cache", Config{}, 200, h("Cache-Control", "max-age=60, s-maxage=600"), 600 * time.Second, FromSMaxAge},
		{"§4.2.1 s-maxage is ignored by a private cache", Config{Private: true}, 200, h("Cache-Control", "max-age=60, s-maxage=600"), 60 * time.Second, FromMaxAge},
		{"§4.2.1 max-age beats Expires", Config{}, 200, h("Cache-Control", "max-age=60", "Date", date, "Expires", httpDate(t0.Add(time.Hour))), 60 * time.Second, FromMaxAge},
		{"§4.2.1 Expires minus Date", Config{}, 200, h("Date", date, "Expires", httpDate(t0.Add(time.Hour))), time.Hour, FromExpires},
		{"§4.2.1 Expires without Date counts from the response time", Config{}, 200, h("Expires", httpDate(t0.Add(time.Hour+time.Second))), time.Hour, FromExpires},
		{"§5.3 Expires in the past", Config{}, 200, h("Date", date, "Expires", httpDate(t0.Add(-time.Hour))), 0, FromExpires},
		{"§5.3 invalid Expires is in the past", Config{}, 200, h("Date", date, "Expires", "0"), 0, FromExpires},
		{"§4.2.1 two Expires lines are invalid", Config{}, 200, h("Date", date, "Expires", httpDate(t0.Add(time.Hour)), "Expires", httpDate(t0.Add(time.Hour))), 0, FromExpires},
		{"§4.2.1 invalid max-age is stale, not a fall-through to Expires", Config{}, 200, h("Cache-Control", "max-age=abc", "Date", date, "Expires", httpDate(t0.Add(time.Hour))), 0, FromMaxAge},
		{"§4.2.1 duplicate max-age is stale", Config{}, 200, h("Cache-Control", "max-age=3600, max-age=60"), 0, FromMaxAge},
		{"§4.2.1 invalid s-maxage is stale in a shared cache", Config{}, 200, h("Cache-Control", "s-maxage=-5, max-age=60"), 0, FromSMaxAge},
		{"§1.2.2 max-age overflow is 2^31 seconds", Config{}, 200, h("Cache-Control", "max-age=99999999999"), MaxDeltaSeconds * time.Second, FromMaxAge},
		{"§4.2.2 no heuristic unless configured", Config{}, 200, h("Date", date, "Last-Modified", httpDate(t0.Add(-100*time.Hour))), 0, FromNothing},
		{"§4.2.2 heuristic: a fraction of Date minus Last-Modified", Config{Heuristic: 0.1}, 200, h("Date", date, "Last-Modified", httpDate(t0.Add(-10*time.Hour))), time.Hour, FromHeuristic},
		{"§4.2.2 heuristic capped", Config{Heuristic: 0.1, HeuristicMax: 30 * time.Minute}, 200, h("Date", date, "Last-Modified", httpDate(t0.Add(-10*time.Hour))), 30 * time.Minute, FromHeuristic},
		{"§4.2.2 heuristic capped by default at a day", Config{Heuristic: 0.5}, 200, h("Date", date, "Last-Modified", httpDate(t0.Add(-1000*time.Hour))), 24 * time.Hour, FromHeuristic},
		{"§4.2.2 no heuristic for a status not cacheable by default", Config{Heuristic: 0.1}, 302, h("Date", date, "Last-Modified", httpDate(t0.Add(-10*time.Hour))), 0, FromNothing},
		{"§4.2.2 heuristic for a public response of any status", Config{Heuristic: 0.1}, 302, h("Cache-Control", "public", "Date", date, "Last-Modified", httpDate(t0.Add(-10*time.Hour))), time.Hour, FromHeuristic},
		{"§4.2.2 no heuristic when Expires is present", Config{Heuristic: 0.1}, 200, h("Date", date, "Expires", date, "Last-Modified", httpDate(t0.Add(-10*time.Hour))), 0, FromExpires},
		{"§4.2.2 Last-Modified after Date gives no heuristic", Config{Heuristic: 0.1}, 200, h("Date", date, "Last-Modified", httpDate(t0.Add(time.Hour))), 0, FromNothing},
		{"§4.2.2 a heuristic outside (0,1] is none", Config{Heuristic: 2}, 200, h("Date", date, "Last-Modified", httpDate(t0.Add(-10*time.Hour))), 0, FromNothing},
		{"policy ttl caps the lifetime", Config{MaxTTL: 10 * time.Second}, 200, h("Cache-Control", "max-age=60"), 10 * time.Second, FromMaxAge},
		{"RFC 9213 §2.2 a targeted field without freshness ignores Expires", Config{}, 200, h("Cdn-Cache-Control", "public", "Date", date, "Expires", httpDate(t0.Add(time.Hour))), 0, FromNothing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := tc.cfg.Freshness(tc.cfg.ParseResponse(tc.status, tc.h), t0, t0.Add(time.Second))
			if f.Lifetime != tc.want || f.Source != tc.source {
				t.Errorf("Freshness(%d %v).Lifetime = %v from %v, want %v from %v", tc.status, tc.h, f.Lifetime, f.Source, tc.want, tc.source)
			}
		})
	}
}

func TestFreshnessAge(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		h             http.Header
		request, resp time.Time
		want          time.Duration
	}{
		{"§4.2.3 no Date, no Age: the response delay", nil, t0, t0.Add(2 * time.Second), 2 * time.Second},
		{"§4.2.3 apparent age from Date", h("Date", httpDate(t0.Add(-10*time.Second))), t0, t0.Add(time.Second), 11 * time.Second},
		{"§4.2.3 Date in the future: apparent age 0", h("Date", httpDate(t0.Add(time.Hour))), t0, t0.Add(time.Second), time.Second},
		{"§4.2.3 corrected Age value: Age plus response delay", h("Age", "100", "Date", httpDate(t0)), t0, t0.Add(3 * time.Second), 103 * time.Second},
		{"§4.2.3 the larger of apparent and corrected age", h("Age", "5", "Date", httpDate(t0.Add(-60*time.Second))), t0, t0.Add(time.Second), 61 * time.Second},
		{"§5.1 invalid Age is ignored", h("Age", "abc"), t0, t0.Add(time.Second), time.Second},
		{"§5.1 negative Age is ignored", h("Age", "-5"), t0, t0.Add(time.Second), time.Second},
		{"§5.1 the first of two Age lines", h("Age", "10", "Age", "20"), t0, t0, 10 * time.Second},
		{"§1.2.2 Age overflow is 2^31", h("Age", "99999999999999"), t0, t0, MaxDeltaSeconds * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := InitialAge(tc.h, tc.request, tc.resp); got != tc.want {
				t.Errorf("InitialAge(%v) = %v, want %v", tc.h, got, tc.want)
			}
		})
	}
}

func TestFreshnessOverTime(t *testing.T) {
	t.Parallel()
	c := Config{}
	resp := c.ParseResponse(200, h("Cache-Control", "max-age=60", "Age", "10"))
	f := c.Freshness(resp, t0, t0)
	// §4.2.3 resident time adds to the age.
	if got := f.Age(t0.Add(20 * time.Second)); got != 30*time.Second {
		t.Errorf("Age at +20s = %v, want 30s", got)
	}
	if !f.Fresh(t0.Add(49 * time.Second)) {
		t.Errorf("Fresh at +49s (age 59s of 60s) = false, want true")
	}
	// §4.2: fresh while lifetime > age, so stale at age == lifetime.
	if f.Fresh(t0.Add(50 * time.Second)) {
		t.Errorf("Fresh at +50s (age 60s of 60s) = true, want false")
	}
	if got, want := f.StaleAt(), t0.Add(50*time.Second); !got.Equal(want) {
		t.Errorf("StaleAt = %v, want %v", got, want)
	}
	if got := f.Staleness(t0.Add(65 * time.Second)); got != 15*time.Second {
		t.Errorf("Staleness at +65s = %v, want 15s", got)
	}
	if got := f.AgeSeconds(t0.Add(20*time.Second + 999*time.Millisecond)); got != 30 {
		t.Errorf("§5.1 AgeSeconds at +20.999s = %d, want 30 (whole seconds)", got)
	}
	if got := f.Remaining(t0.Add(65 * time.Second)); got != -15*time.Second {
		t.Errorf("Remaining at +65s = %v, want -15s", got)
	}
	if got := (Freshness{InitialAge: 1 << 62}).AgeSeconds(t0); got != MaxDeltaSeconds {
		t.Errorf("§1.2.2 AgeSeconds of a huge age = %d, want 2^31", got)
	}
	if got := f.Staleness(t0); got != 0 {
		t.Errorf("Staleness while fresh = %v, want 0", got)
	}
}

func TestFreshnessRevalidationFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name           string
		cfg            Config
		cc             string
		noCache, mustR bool
	}{
		{"§5.2.2.4 no-cache", Config{}, "no-cache, max-age=60", true, false},
		{"§5.2.2.4 qualified no-cache does not force revalidation", Config{}, `no-cache="Set-Cookie", max-age=60`, false, false},
		{"§5.2.2.2 must-revalidate", Config{Private: true}, "must-revalidate", false, true},
		{"§5.2.2.8 proxy-revalidate in a shared cache", Config{}, "proxy-revalidate", false, true},
		{"§5.2.2.8 proxy-revalidate ignored by a private cache", Config{Private: true}, "proxy-revalidate", false, false},
		{"§5.2.2.10 s-maxage implies proxy-revalidate in a shared cache", Config{}, "s-maxage=5", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := tc.cfg.Freshness(tc.cfg.ParseResponse(200, h("Cache-Control", tc.cc)), t0, t0)
			if f.NoCache != tc.noCache || f.MustRevalidate != tc.mustR {
				t.Errorf("Freshness(%q): NoCache %v MustRevalidate %v, want %v %v", tc.cc, f.NoCache, f.MustRevalidate, tc.noCache, tc.mustR)
			}
		})
	}
}

// BenchmarkHit is the work of a cache hit: parse the request and the
// stored response, compute freshness, decide.
func BenchmarkHit(b *testing.B) {
	c := Config{}
	reqH := h("Accept", "*/*")
	respH := h("Cache-Control", "public, max-age=60", "Date", httpDate(t0), "Etag", `"v1"`, "Content-Type", "text/html")
	b.ReportAllocs()
	for b.Loop() {
		req := ParseRequest(http.MethodGet, reqH)
		resp := c.ParseResponse(200, respH)
		f := c.Freshness(resp, t0, t0)
		if Decide(req, f, t0.Add(time.Second)) != Serve {
			b.Fatal("not served")
		}
	}
}

func TestParseHTTPDate(t *testing.T) {
	t.Parallel()
	want := time.Date(2037, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"Thu, 01 Jan 2037 00:00:00 GMT", true},
		{"Thursday, 01-Jan-37 00:00:00 GMT", true},
		{"Thu Jan  1 00:00:00 2037", true},
		{"Thu, 01 Jan 2037 0:00:00 GMT", false},
		{"Thu,  01 Jan 2037 00:00:00 GMT", false},
		{"Thu, 01 Jan 2037 00:00:00 UTC", false},
		{"Thu, 01 Jan 2037 00:00:00 gmt", false},
		{"Thu, 1 Jan 2037 00:00:00 GMT", false},
		{"Fri, 01 Jan 2037 00:00:00 GMT", false},
		{"0", false},
		{"", false},
	} {
		got, ok := ParseHTTPDate(tc.in)
		if ok != tc.ok || (ok && !got.Equal(want)) {
			t.Errorf("RFC 9110 §5.6.7 ParseHTTPDate(%q) = %v, %v; want ok %v", tc.in, got, ok, tc.ok)
		}
	}
}
