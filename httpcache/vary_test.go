package httpcache

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox"
)

// negotiating is an upstream that answers gzip to clients that accept it
// and plain text to others, with the given Vary ("" for none).
func negotiating(vary string, calls *atomic.Int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if vary != "" {
			w.Header().Set("Vary", vary)
		}
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = w.Write([]byte("gzip #" + itoa(n)))
			return
		}
		_, _ = w.Write([]byte("plain #" + itoa(n)))
	})
}

const hitTTL60 = "hitbox; hit; ttl=60"

func TestVaryGzipNeverServedWithoutAcceptEncoding(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var calls atomic.Int64
	h := e.middleware(t, negotiating("Accept-Encoding", &calls), []Endpoint{{Name: "v", Policy: hitbox.Enabled(time.Minute, 0)}})
	const host = "example.com"
	check(t, "gzip miss", serveHost(t, h, host, "/x", "Accept-Encoding", "gzip, br"), miss(csMissStored, "gzip #1"))
	plain := serveHost(t, h, host, "/x")
	check(t, "no Accept-Encoding: its variant is not stored", plain, miss(csMissStored, "plain #2"))
	if ce := plain.header.Get("Content-Encoding"); ce != "" {
		t.Errorf("plain answer has Content-Encoding %q", ce)
	}
	// Both variants are cached; equivalent Accept-Encodings share one.
	check(t, "gzip hit", serveHost(t, h, host, "/x", "Accept-Encoding", "br,GZIP;q=0.5"), hit(hitTTL60, "0", "gzip #1"))
	check(t, "plain hit", serveHost(t, h, host, "/x"), hit(hitTTL60, "0", "plain #2"))
	check(t, "another variant", serveHost(t, h, host, "/x", "Accept-Encoding", "br"), miss(csMissStored, "plain #3"))
	if got := calls.Load(); got != 3 {
		t.Errorf("upstream called %d times, want 3", got)
	}
}

func TestVaryStarNeverServedFromCache(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var calls atomic.Int64
	h := e.middleware(t, negotiating("*", &calls), []Endpoint{{Name: "v"}})
	for i := range 3 {
		check(t, "vary *", serveHost(t, h, "example.com", "/x"), miss("hitbox; fwd=miss; fwd-status=200", "plain #"+itoa(int64(i+1))))
	}
	var calls2 atomic.Int64
	h = e.middleware(t, negotiating("Accept-Encoding, X-Forwarded-For", &calls2), []Endpoint{{Name: "xff"}})
	for i := range 2 {
		check(t, "vary X-Forwarded-For", serveHost(t, h, "example.com", "/x"), miss("hitbox; fwd=miss; fwd-status=200", "plain #"+itoa(int64(i+1))))
	}
}

func TestContentEncodingNotAcceptedNeverServed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var calls atomic.Int64
	// The upstream forgot Vary.
	h := e.middleware(t, negotiating("", &calls), []Endpoint{{Name: "novary", Policy: hitbox.Enabled(time.Minute, 0)}})
	const host = "example.com"
	check(t, "gzip miss", serveHost(t, h, host, "/x", "Accept-Encoding", "gzip"), miss(csMissStored, "gzip #1"))
	check(t, "no Accept-Encoding", serveHost(t, h, host, "/x"), miss("hitbox; fwd=miss; fwd-status=200", "plain #2"))
	check(t, "identity only", serveHost(t, h, host, "/x", "Accept-Encoding", "identity"), miss("hitbox; fwd=miss; fwd-status=200", "plain #3"))
	check(t, "any coding", serveHost(t, h, host, "/x", "Accept-Encoding", "*"), hit(hitTTL60, "0", "gzip #1"))
	check(t, "gzip hit", serveHost(t, h, host, "/x", "Accept-Encoding", "x-gzip"), hit(hitTTL60, "0", "gzip #1"))
}

func TestVaryChangesAreFollowed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var vary atomic.Value
	vary.Store("X-Lang")
	var calls atomic.Int64
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if v := vary.Load().(string); v != "" {
			w.Header().Set("Vary", v)
		}
		_, _ = w.Write([]byte(r.Header.Get("X-Lang") + "/" + r.Header.Get("X-Tier") + " #" + itoa(n)))
	})
	h := e.middleware(t, next, []Endpoint{{Name: "v", Policy: hitbox.Enabled(time.Minute, 0)}})
	const host = "example.com"
	check(t, "en", serveHost(t, h, host, "/x", "X-Lang", "en"), miss(csMissStored, "en/ #1"))
	check(t, "de", serveHost(t, h, host, "/x", "X-Lang", "de"), miss(csMissStored, "de/ #2"))
	check(t, "en hit", serveHost(t, h, host, "/x", "X-Lang", "en", "X-Tier", "gold"), hit(hitTTL60, "0", "en/ #1"))
	// The upstream now varies on X-Tier too: a variant looked up by the
	// old names is stored under the new ones, never under the old, and
	// the marker follows.
	vary.Store("X-Lang, X-Tier")
	const notStored = "hitbox; fwd=miss; fwd-status=200"
	check(t, "fr gold", serveHost(t, h, host, "/x", "X-Lang", "fr", "X-Tier", "gold"), miss(notStored, "fr/gold #3"))
	check(t, "fr gold hit", serveHost(t, h, host, "/x", "X-Lang", "fr", "X-Tier", "gold"), hit(hitTTL60, "0", "fr/gold #3"))
	check(t, "fr silver", serveHost(t, h, host, "/x", "X-Lang", "fr", "X-Tier", "silver"), miss(csMissStored, "fr/silver #4"))
	check(t, "en gold", serveHost(t, h, host, "/x", "X-Lang", "en", "X-Tier", "gold"), miss(csMissStored, "en/gold #5"))
	// It stops varying: the response replaces the marker.
	vary.Store("")
	check(t, "it", serveHost(t, h, host, "/x", "X-Lang", "it"), miss(notStored, "it/ #6"))
	check(t, "no vary", serveHost(t, h, host, "/x", "X-Lang", "xx"), hit(hitTTL60, "0", "it/ #6"))
}

func TestTransportVary(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var calls atomic.Int64
	srv := httptest.NewServer(negotiating("Accept-Encoding", &calls))
	defer srv.Close()
	// The base must not negotiate gzip itself.
	base := &http.Transport{DisableCompression: true}
	defer base.CloseIdleConnections()
	tr, err := NewTransport(e.cache, base, []Endpoint{{Name: "v", Policy: hitbox.Enabled(time.Minute, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: tr}
	do := func(ae string) answer {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/x", nil)
		if err != nil {
			t.Fatal(err)
		}
		if ae != "" {
			req.Header.Set("Accept-Encoding", ae)
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		return toAnswer(t, res)
	}
	check(t, "gzip", do("gzip"), miss(csMissStored, "gzip #1"))
	check(t, "plain", do(""), miss(csMissStored, "plain #2"))
	check(t, "gzip hit", do("gzip"), hit(hitTTL60, "0", "gzip #1"))
	check(t, "plain hit", do(""), hit(hitTTL60, "0", "plain #2"))
}

func TestMarkerRoundTrip(t *testing.T) {
	t.Parallel()
	names := []string{"Accept-Encoding", "X-Lang"}
	got, ok := parseMarker(encodeMarker(names))
	if !ok || strings.Join(got, ",") != "Accept-Encoding,X-Lang" {
		t.Errorf("parseMarker(encodeMarker(%q)) = %q, %v", names, got, ok)
	}
	for _, b := range [][]byte{nil, []byte("hv\x01"), []byte("hv\x01\x00"), []byte("hv\x01\x01\x05ab"), encode(200, nil, nil, time.Time{})} {
		if _, ok := parseMarker(b); ok {
			t.Errorf("parseMarker(%q) = ok", b)
		}
	}
}

func TestVaryAcrossInstancesSharingABackend(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	other, err := hitbox.New(e.backend, hitbox.WithClock(e.clock))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := other.Close(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	var calls atomic.Int64
	up := negotiating("Accept-Encoding", &calls)
	eps := []Endpoint{{Name: "v", Policy: hitbox.Enabled(time.Minute, 0)}}
	a := e.middleware(t, up, eps)
	mw, err := Middleware(other, eps)
	if err != nil {
		t.Fatal(err)
	}
	b := mw(up)
	check(t, "a gzip", serveHost(t, a, "example.com", "/x", "Accept-Encoding", "gzip"), miss(csMissStored, "gzip #1"))
	check(t, "b plain", serveHost(t, b, "example.com", "/x"), miss(csMissStored, "plain #2"))
	check(t, "b gzip", serveHost(t, b, "example.com", "/x", "Accept-Encoding", "gzip"), hit(hitTTL60, "0", "gzip #1"))
	check(t, "a plain", serveHost(t, a, "example.com", "/x"), hit(hitTTL60, "0", "plain #2"))
}

// TestVaryCollapsedWaitersGetTheirOwnVariant: callers that wait for a
// leader fetching the gzip variant never get it unless they accept gzip,
// and the plain variant costs one more upstream call, not one per caller.
func TestVaryCollapsedWaitersGetTheirOwnVariant(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var calls atomic.Int64
	arrived, release := make(chan struct{}), make(chan struct{})
	neg := negotiating("Accept-Encoding", &calls)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept-Encoding") == "gzip" && r.Header.Get("X-Leader") == "1" {
			close(arrived)
			<-release
		}
		neg.ServeHTTP(w, r)
	})
	h := e.middleware(t, next, []Endpoint{{Name: "v", Policy: hitbox.Enabled(time.Minute, 0)}})
	leader := make(chan answer, 1)
	go func() { leader <- serveHost(t, h, "example.com", "/x", "Accept-Encoding", "gzip", "X-Leader", "1") }()
	<-arrived
	const n = 8
	answers := make([]answer, 2*n)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Go(func() {
			if i%2 == 0 {
				answers[i] = serveHost(t, h, "example.com", "/x")
			} else {
				answers[i] = serveHost(t, h, "example.com", "/x", "Accept-Encoding", "gzip")
			}
		})
	}
	close(release)
	wg.Wait()
	if a := <-leader; a.body != "gzip #1" {
		t.Errorf("leader: %q, want gzip #1", a.body)
	}
	for i, a := range answers {
		gz := strings.HasPrefix(a.body, "gzip #")
		if gz != (i%2 == 1) || gz != (a.header.Get("Content-Encoding") == "gzip") {
			t.Errorf("caller %d (gzip %v): %s %q, Content-Encoding %q", i, i%2 == 1, a.xcache, a.body, a.header.Get("Content-Encoding"))
		}
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("upstream called %d times, want 2 (one per variant)", got)
	}
}

func TestVariantNormalisation(t *testing.T) {
	t.Parallel()
	req := func(hdr ...string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Add(hdr[i], hdr[i+1])
		}
		return r
	}
	ae := []string{"Accept-Encoding"}
	same := []struct {
		names []string
		a, b  *http.Request
	}{
		{ae, req("Accept-Encoding", "gzip, br"), req("Accept-Encoding", "BR;q=1,x-gzip;q=0.5")},
		{ae, req("Accept-Encoding", "gzip"), req("Accept-Encoding", "gzip, deflate;q=0")},
		{[]string{"Accept-Language"}, req("Accept-Language", "en-US, en;q=0.9"), req("Accept-Language", "en-us,en;q=0.9")},
		{[]string{"X-Tier"}, req("X-Tier", " gold "), req("X-Tier", "gold")},
	}
	for _, c := range same {
		if x, y := variantOf(c.a, c.names), variantOf(c.b, c.names); x != y || !isVariant(x) {
			t.Errorf("variantOf(%v) = %q and %q for %v, %v; want one variant", c.names, x, y, c.a.Header, c.b.Header)
		}
	}
	differ := []struct {
		names []string
		a, b  *http.Request
	}{
		{ae, req(), req("Accept-Encoding", "")},
		{ae, req("Accept-Encoding", "gzip"), req("Accept-Encoding", "gzip, br")},
		{[]string{"X-Tier"}, req("X-Tier", "Gold"), req("X-Tier", "gold")},
		{[]string{"X-A", "X-B"}, req("X-A", "1"), req("X-B", "1")},
		{[]string{"X-Tier"}, req("X-Tier", "a,b"), req("X-Tier", "a", "X-Tier", "b")},
	}
	for _, c := range differ {
		if x, y := variantOf(c.a, c.names), variantOf(c.b, c.names); x == y {
			t.Errorf("variantOf(%v) = %q for both %v and %v; want two variants", c.names, x, c.a.Header, c.b.Header)
		}
	}
}

func TestAcceptsEncoding(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		accept string // "-": no Accept-Encoding
		ce     string
		want   bool
	}{
		{"-", "", true},
		{"-", "identity", true},
		{"-", "gzip", false},
		{"gzip", "gzip", true},
		{"GZip;q=0.1", "x-gzip", true},
		{"gzip;q=0", "gzip", false},
		{"*", "br", true},
		{"*, br;q=0", "br", false},
		{"gzip", "gzip, br", false},
		{"gzip, br", "gzip, br", true},
		{"identity", "gzip", false},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if c.accept != "-" {
			r.Header.Set("Accept-Encoding", c.accept)
		}
		var ce []string
		if c.ce != "" {
			ce = []string{c.ce}
		}
		if got := acceptsEncoding(r, ce); got != c.want {
			t.Errorf("Accept-Encoding %q, Content-Encoding %q: %v, want %v", c.accept, c.ce, got, c.want)
		}
	}
}

func TestVaryWithBinaryKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var calls atomic.Int64
	h := e.middleware(t, negotiating("Accept-Encoding", &calls), []Endpoint{{Name: "v", Policy: hitbox.Enabled(time.Minute, 0)}},
		WithKeyFormat(hitbox.KeyBinary), WithNamespace("app"))
	check(t, "gzip", serveHost(t, h, "example.com", "/x", "Accept-Encoding", "gzip"), miss(csMissStored, "gzip #1"))
	check(t, "plain", serveHost(t, h, "example.com", "/x"), miss(csMissStored, "plain #2"))
	check(t, "gzip hit", serveHost(t, h, "example.com", "/x", "Accept-Encoding", "gzip"), hit(hitTTL60, "0", "gzip #1"))
	check(t, "plain hit", serveHost(t, h, "example.com", "/x"), hit(hitTTL60, "0", "plain #2"))
	// The primary key holds the marker, the variants live beside it.
	primary := hitbox.Key{Namespace: Scope{Prefix: "app", Endpoint: "v", Scheme: "http", Host: "example.com"}.Namespace(),
		Parts: []hitbox.KeyPart{hitbox.Part("method", "GET"), hitbox.Part("path", "/x")}}.Encode(hitbox.KeyBinary)
	entry, ok, err := e.backend.Get(t.Context(), primary)
	if names, isMarker := parseMarker(entry.Value); err != nil || !ok || !isMarker || len(names) != 1 || names[0] != "Accept-Encoding" {
		t.Errorf("primary entry %q: %v, %v; want a marker naming Accept-Encoding", entry.Value, ok, err)
	}
}
