package httpcache

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/extract"
	"github.com/hitbox-go/hitbox/predicate"
)

func TestScopeRoundTrip(t *testing.T) {
	t.Parallel()
	for _, s := range []Scope{
		{Endpoint: "books", Scheme: "http", Host: "api.example"},
		{Prefix: "users", Client: true, Endpoint: "#0", Scheme: "https", Host: "[::1]:8443"},
		{Endpoint: "a/b", Scheme: "http", AnyHost: true},
		{Endpoint: "~", Scheme: "http", Host: ""},
		{Prefix: "p/q:r", Endpoint: "x y", Scheme: "http", Host: "h", Variant: strings.Repeat("0f", 16)},
		{},
	} {
		ns := s.Namespace()
		got, ok := ParseScope(ns)
		if !ok || got != s {
			t.Errorf("ParseScope(%q) = %+v, %v; want %+v", ns, got, ok, s)
		}
		// The namespace needs no escaping in a URL-encoded key.
		k := hitbox.Key{Namespace: ns}.String()
		if k != ns+":v0:" && ns != "" {
			t.Errorf("key of %q = %q: the namespace was escaped", ns, k)
		}
	}
	if got := (Scope{Endpoint: "books", Scheme: "http", Host: "api.example"}).Namespace(); got != "/srv/books/http/api.example" {
		t.Errorf("Namespace = %q, want /srv/books/http/api.example", got)
	}
}

func TestParseScopeRejects(t *testing.T) {
	t.Parallel()
	for _, ns := range []string{
		"", "ns", "/srv/books/http", "/web/books/http/h", "/srv/books/http/h/short",
		"/srv/bo~6Fks/http/h",                       // needless escape
		"/srv/b~2f/http/h",                          // lowercase escape
		"/srv/b:c/http/h",                           // raw reserved byte
		"/srv/b/http/h/" + strings.Repeat("0F", 16), // uppercase variant
		"/srv/b/http/~~/x",
	} {
		if s, ok := ParseScope(ns); ok {
			t.Errorf("ParseScope(%q) = %+v, want false", ns, s)
		}
	}
}

func FuzzScope(f *testing.F) {
	f.Add("p", "books", "http", "api.example", false, false)
	f.Add("", "#1", "https", "[::1]:80", true, true)
	f.Add("a/b", "~7E", "", "", false, true)
	f.Fuzz(func(t *testing.T, prefix, endpoint, scheme, host string, client, anyHost bool) {
		if anyHost {
			host = ""
		}
		s := Scope{Prefix: prefix, Client: client, Endpoint: endpoint, Scheme: scheme, Host: host, AnyHost: anyHost}
		ns := s.Namespace()
		got, ok := ParseScope(ns)
		if !ok || got != s {
			t.Fatalf("ParseScope(%q) = %+v, %v; want %+v", ns, got, ok, s)
		}
		// Every accepted namespace re-encodes to itself.
		if again, ok := ParseScope(prefix); ok && again.Namespace() != prefix {
			t.Fatalf("ParseScope(%q) re-encodes to %q", prefix, again.Namespace())
		}
	})
}

func TestNormalizeHost(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ host, scheme, want string }{
		{"API.Example", "http", "api.example"},
		{"api.example:80", "http", "api.example"},
		{"api.example:080", "http", "api.example"},
		{"api.example:443", "https", "api.example"},
		{"api.example:443", "http", "api.example:443"},
		{"api.example:", "http", "api.example"},
		{"api.example:8080", "https", "api.example:8080"},
		{"[0:0::1]:8080", "http", "[::1]:8080"},
		{"[::1]:80", "http", "[::1]"},
		{"[FE80::1]", "https", "[fe80::1]"},
		{"[::1", "http", "[::1"},
		{"::1", "http", "::1"},
		{"", "http", ""},
	} {
		if got := NormalizeHost(c.host, c.scheme); got != c.want {
			t.Errorf("NormalizeHost(%q, %q) = %q, want %q", c.host, c.scheme, got, c.want)
		}
	}
}

// pinned returns an endpoint accepting GETs of exactly path, keyed by
// the method and the query parameter page (point 8 of issue 9).
func pinned(t *testing.T, name, path string) Endpoint {
	t.Helper()
	get, err := predicate.Method(http.MethodGet)
	if err != nil {
		t.Fatal(err)
	}
	p, err := predicate.Path(path)
	if err != nil {
		t.Fatal(err)
	}
	return Endpoint{
		Name:       name,
		Request:    predicate.And(get, p),
		Extractors: []extract.Extractor{extract.Method(), extract.Query("page")},
		Policy:     hitbox.Enabled(time.Minute, 0),
	}
}

func TestEndpointsNeverShareKeys(t *testing.T) {
	t.Parallel()
	for _, named := range []bool{true, false} {
		e := newEnv(t)
		next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(r.URL.Path))
		})
		products, orders := pinned(t, "products", "/api/products"), pinned(t, "orders", "/api/orders")
		if !named {
			products.Name, orders.Name = "", ""
		}
		h := e.middleware(t, next, []Endpoint{products, orders})
		check(t, "products", serve(t, h, http.MethodGet, "/api/products?page=1", ""), miss(csMissStored, "/api/products"))
		check(t, "orders", serve(t, h, http.MethodGet, "/api/orders?page=1", ""), miss(csMissStored, "/api/orders"))
		check(t, "products again", serve(t, h, http.MethodGet, "/api/products?page=1", ""), hit("hitbox; hit; ttl=60", "0", "/api/products"))
		check(t, "orders again", serve(t, h, http.MethodGet, "/api/orders?page=1", ""), hit("hitbox; hit; ttl=60", "0", "/api/orders"))
	}
}

func TestEndpointIdentity(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, eps := range [][]Endpoint{
		{{Name: "a"}, {Name: "a"}},
		{{ID: "x"}, {Name: "x"}},
		{{}, {Name: "#0"}},
	} {
		if _, err := Middleware(e.cache, eps); !errors.Is(err, ErrInvalidEndpoint) {
			t.Errorf("Middleware(%+v) error = %v, want ErrInvalidEndpoint", eps, err)
		}
	}
	// A disabled endpoint is skipped and shares nothing.
	if _, err := Middleware(e.cache, []Endpoint{{Name: "a", Policy: hitbox.Disabled()}, {Name: "a"}}); err != nil {
		t.Errorf("Middleware with a disabled twin: %v", err)
	}
	// ID wins over Name: the entries live under it.
	h := e.middleware(t, &upstream{}, []Endpoint{{Name: "shown", ID: "stable"}})
	serve(t, h, http.MethodGet, "/x", "")
	key := testKey("stable", hitbox.Part("method", "GET"), hitbox.Part("path", "/x"))
	if _, ok, err := e.backend.Get(t.Context(), key); err != nil || !ok {
		t.Errorf("no entry under %q: %v, %v", key, ok, err)
	}
}

// serveHost is serve with a Host header.
func serveHost(t *testing.T, h http.Handler, host, target string, hdr ...string) answer {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	r.Host = host
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	res := w.Result()
	defer res.Body.Close()
	return toAnswer(t, res)
}

func TestMiddlewareHostKeyed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("for " + r.Host))
	})
	h := e.middleware(t, next, []Endpoint{{Name: "keyed", Policy: hitbox.Enabled(time.Minute, 0)}})
	check(t, "evil", serveHost(t, h, "evil.example", "/x"), miss(csMissStored, "for evil.example"))
	check(t, "api", serveHost(t, h, "api.example", "/x"), miss(csMissStored, "for api.example"))
	check(t, "api, other spelling", serveHost(t, h, "API.example:80", "/x"), hit("hitbox; hit; ttl=60", "0", "for api.example"))
	check(t, "api on another port", serveHost(t, h, "api.example:8080", "/x"), miss(csMissStored, "for api.example:8080"))

	shared := e.middleware(t, next, []Endpoint{{Name: "shared", IgnoreHost: true, Policy: hitbox.Enabled(time.Minute, 0)}})
	check(t, "shared a", serveHost(t, shared, "a.example", "/x"), miss(csMissStored, "for a.example"))
	check(t, "shared b", serveHost(t, shared, "b.example", "/x"), hit("hitbox; hit; ttl=60", "0", "for a.example"))
	key := hitbox.Key{Namespace: Scope{Endpoint: "shared", Scheme: "http", AnyHost: true}.Namespace(),
		Parts: []hitbox.KeyPart{hitbox.Part("method", "GET"), hitbox.Part("path", "/x")}}.String()
	if _, ok, err := e.backend.Get(t.Context(), key); err != nil || !ok {
		t.Errorf("no entry under %q: %v, %v", key, ok, err)
	}
}

func TestTransportDefaultKeyIsWholeURL(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(r.Host + r.URL.RequestURI()))
	})
	srv := httptest.NewServer(next)
	defer srv.Close()
	// Every host resolves to srv: the base dials it whatever the URL says.
	base := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, srv.Listener.Addr().String())
	}}
	defer base.CloseIdleConnections()
	tr, err := NewTransport(e.cache, base, []Endpoint{{Name: "api", Policy: hitbox.Enabled(time.Minute, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: tr}
	check(t, "A", get(t, c, http.MethodGet, "http://a.example/v1/me", ""), miss(csMissStored, "a.example/v1/me"))
	check(t, "B", get(t, c, http.MethodGet, "http://b.example/v1/me", ""), miss(csMissStored, "b.example/v1/me"))
	check(t, "pears", get(t, c, http.MethodGet, "http://a.example/search?q=pears", ""), miss(csMissStored, "a.example/search?q=pears"))
	check(t, "apples", get(t, c, http.MethodGet, "http://a.example/search?q=apples", ""), miss(csMissStored, "a.example/search?q=apples"))
	check(t, "A again", get(t, c, http.MethodGet, "http://A.example:80/v1/me", ""), hit("hitbox; hit; ttl=60", "0", "a.example/v1/me"))
	check(t, "pears again", get(t, c, http.MethodGet, "http://a.example/search?q=pears", ""), hit("hitbox; hit; ttl=60", "0", "a.example/search?q=pears"))
	key := hitbox.Key{Namespace: Scope{Client: true, Endpoint: "api", Scheme: "http", Host: "a.example"}.Namespace(),
		Parts: []hitbox.KeyPart{hitbox.Part("method", "GET"), hitbox.Part("path", "/search"), hitbox.Part("query", "q=pears")}}.String()
	if _, ok, err := e.backend.Get(t.Context(), key); err != nil || !ok {
		t.Errorf("no entry under %q: %v, %v", key, ok, err)
	}
}

func TestMiddlewareAndTransportShareACache(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	eps := []Endpoint{{Name: "same", Extractors: []extract.Extractor{}, Policy: hitbox.Enabled(time.Minute, 0)}}
	server := e.middleware(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("server"))
	}), eps)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("client"))
	}))
	defer srv.Close()
	c := e.client(t, srv, eps)
	check(t, "server", serveHost(t, server, srv.Listener.Addr().String(), "/"), miss(csMissStored, "server"))
	check(t, "client", get(t, c, http.MethodGet, srv.URL+"/", ""), miss(csMissStored, "client"))
	check(t, "server again", serveHost(t, server, srv.Listener.Addr().String(), "/"), hit("hitbox; hit; ttl=60", "0", "server"))
	check(t, "client again", get(t, c, http.MethodGet, srv.URL+"/", ""), hit("hitbox; hit; ttl=60", "0", "client"))
}
