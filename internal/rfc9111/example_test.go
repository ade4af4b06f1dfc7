package rfc9111_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/hitbox-go/hitbox/internal/rfc9111"
)

// A shared cache's round: store a response, serve it while fresh,
// revalidate it once stale, refresh it from the 304.
func Example() {
	c := rfc9111.Config{MaxTTL: time.Hour}
	sent := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	received := sent.Add(100 * time.Millisecond)

	req := rfc9111.ParseRequest(http.MethodGet, http.Header{})
	header := http.Header{
		"Cache-Control": {"max-age=60, stale-while-revalidate=30"},
		"Etag":          {`"v1"`},
		"Connection":    {"close"},
	}
	resp := c.ParseResponse(http.StatusOK, header)
	if ok, why := c.Storable(req, resp); !ok {
		fmt.Println("not stored:", why)
		return
	}
	stored := header.Clone()
	c.StripForStore(stored, resp.CC)
	f := c.Freshness(resp, sent, received)
	fmt.Println("lifetime", f.Lifetime, "from", f.Source, "stale at", f.StaleAt().Format(time.TimeOnly))

	for _, at := range []time.Duration{30 * time.Second, 75 * time.Second, 2 * time.Minute} {
		fmt.Println("at +"+at.String(), rfc9111.Decide(req, f, received.Add(at)))
	}

	validation := http.Header{}
	rfc9111.SetConditional(validation, stored)
	fmt.Println("If-None-Match:", validation.Get("If-None-Match"))

	notModified := http.Header{"Etag": {`"v1"`}, "Cache-Control": {"max-age=600"}}
	if rfc9111.Selects(notModified, stored) {
		refreshed := c.Update(stored, notModified)
		again := sent.Add(2 * time.Minute)
		f = c.Freshness(c.ParseResponse(http.StatusOK, refreshed), again, again)
		fmt.Println("after 304: lifetime", f.Lifetime, rfc9111.Decide(req, f, again))
	}
	// Output:
	// lifetime 1m0s from max-age stale at 12:01:00
	// at +30s serve
	// at +1m15s serve-stale-revalidate
	// at +2m0s revalidate
	// If-None-Match: "v1"
	// after 304: lifetime 10m0s serve
}
