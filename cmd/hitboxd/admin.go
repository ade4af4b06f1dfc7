package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/httpcache"
	"github.com/hitbox-go/hitbox/metrics"
	"github.com/hitbox-go/hitbox/offload"
)

// Limits of the admin API.
const (
	// defaultKeysLimit is how many keys GET /keys lists without ?limit=.
	defaultKeysLimit = 1000
	// maxKeysLimit is the largest ?limit= accepted.
	maxKeysLimit = 100_000
	// maxAdminBody bounds the body of POST /purge.
	maxAdminBody = 64 << 10
)

// adminAPI is hitboxd's admin API: /keys, /purge, /stats, /metrics and
// /healthz, as the package documentation says. It reads the daemon's state
// through its function fields, so tests can give it any backend.
type adminAPI struct {
	// token returns the bearer token in force ("" for none).
	token func() string
	// store returns the backend in force, its key format and a release
	// function to call when done, or false while stopping.
	store func() (b backend.Backend, kf hitbox.KeyFormat, release func(), ok bool)
	// snapshot returns the flow's counts.
	snapshot func() metrics.Snapshot
	// metrics serves /metrics.
	metrics http.Handler
	// healthy reports whether the daemon is serving.
	healthy func() bool
	// gather, breakers and background feed /stats with the upstream
	// latency, the breaker states and the background runner's counts;
	// each may be nil.
	gather     prometheus.Gatherer
	breakers   func() []metrics.BreakerState
	background func() offload.Stats
	log        *slog.Logger
	// now is the clock deciding which entries are expired, when sessions
	// end and when a throttled client may try again; nil: time.Now.
	now func() time.Time
	// invalidateTags invalidates tags through the cache in force
	// (hitbox.Cache.InvalidateTags); nil: through the backend's
	// backend.Tagger at now (see purgeTags).
	invalidateTags func(ctx context.Context, tags []string) error
	// tagPurged counts a purge by tag naming n tags in /metrics; nil:
	// not counted.
	tagPurged func(n int)

	once sync.Once
	mux  *http.ServeMux
	key  [32]byte // signs the dashboard's session cookies
	csrf *http.CrossOriginProtection
	// fails counts each client's wrong tokens.
	fails *authLimiter
}

// ServeHTTP routes r: the dashboard's page and assets, /healthz and
// POST /login and /logout need no token, every other call does (see
// [adminAPI.guard]); an unknown path is a JSON 404 and a known path with
// another method a JSON 405 with Allow.
func (a *adminAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.once.Do(func() {
		a.key = newSessionKey()
		a.csrf = http.NewCrossOriginProtection()
		a.fails = newAuthLimiter()
		a.mux = a.routes()
	})
	a.mux.ServeHTTP(w, r)
}

// routes returns the admin API's ServeMux. Each path has its method
// patterns ("GET /keys", which also takes HEAD) and a pattern without a
// method, less specific, that answers 405 for the other methods.
func (a *adminAPI) routes() *http.ServeMux {
	mux := http.NewServeMux()
	route := func(path string, open bool, byMethod map[string]http.HandlerFunc) {
		allow := make([]string, 0, len(byMethod)+1)
		for m, h := range byMethod {
			if !open {
				h = a.guard(h)
			}
			mux.HandleFunc(m+" "+path, h)
			allow = append(allow, m)
			if m == http.MethodGet {
				allow = append(allow, http.MethodHead)
			}
		}
		slices.Sort(allow)
		var h http.HandlerFunc = func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeJSONError(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s %s: method not allowed (allowed: %s)", r.Method, r.URL.Path, strings.Join(allow, ", ")))
		}
		if !open {
			h = a.guard(h)
		}
		mux.HandleFunc(path, h)
	}
	route("/keys", false, map[string]http.HandlerFunc{http.MethodGet: a.listKeys, http.MethodDelete: a.deleteKey})
	route("/purge", false, map[string]http.HandlerFunc{http.MethodPost: a.purge})
	route("/stats", false, map[string]http.HandlerFunc{http.MethodGet: a.stats})
	route("/metrics", false, map[string]http.HandlerFunc{http.MethodGet: a.serveMetrics})
	route("/healthz", true, map[string]http.HandlerFunc{http.MethodGet: a.healthz})
	route("/login", true, map[string]http.HandlerFunc{http.MethodPost: a.login})
	route("/logout", true, map[string]http.HandlerFunc{http.MethodPost: a.logout})
	for path, h := range a.dashboard() {
		route(path, true, map[string]http.HandlerFunc{http.MethodGet: h})
	}
	mux.HandleFunc("/", a.guard(func(w http.ResponseWriter, r *http.Request) {
		writeJSONError(w, http.StatusNotFound, fmt.Sprintf("no such admin call: %s (see /keys, /purge, /stats, /metrics, /healthz)", r.URL.Path))
	}))
	return mux
}

func (a *adminAPI) clock() time.Time {
	if a.now != nil {
		return a.now()
	}
	return time.Now()
}

// params reads r's query, refusing malformed ones, repeated parameters and
// names outside allowed.
func params(r *http.Request, allowed ...string) (map[string]string, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("malformed query: %w", err)
	}
	out := make(map[string]string, len(q))
	for name, vs := range q {
		if !slices.Contains(allowed, name) {
			return nil, fmt.Errorf("unknown parameter %q (want %s)", name, strings.Join(allowed, ", "))
		}
		if len(vs) > 1 {
			return nil, fmt.Errorf("parameter %q given %d times", name, len(vs))
		}
		out[name] = vs[0]
	}
	return out, nil
}

// decodeKey turns a key (or prefix) as the admin API writes it into the
// backend's bytes.
func decodeKey(s string, kf hitbox.KeyFormat) (string, error) {
	if kf != hitbox.KeyBinary {
		return s, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return "", fmt.Errorf("binary keys are written in base64url: %w", err)
	}
	return string(b), nil
}

// encodeKey is the inverse of decodeKey.
func encodeKey(s string, kf hitbox.KeyFormat) string {
	if kf != hitbox.KeyBinary {
		return s
	}
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

// withStore runs fn with the backend in force, or answers 503 while
// stopping.
func (a *adminAPI) withStore(w http.ResponseWriter, fn func(b backend.Backend, kf hitbox.KeyFormat)) {
	b, kf, release, ok := a.store()
	if !ok {
		writeJSONError(w, http.StatusServiceUnavailable, "shutting down")
		return
	}
	defer release()
	fn(b, kf)
}

// backendError answers a failed backend call.
func (a *adminAPI) backendError(w http.ResponseWriter, what string, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, backend.ErrInvalidKey):
		code = http.StatusBadRequest
	case errors.Is(err, backend.ErrUnavailable), errors.Is(err, backend.ErrClosed):
		code = http.StatusServiceUnavailable
	}
	if code >= 500 && a.log != nil {
		a.log.Error("admin: "+what+" failed", "err", err)
	}
	writeJSONError(w, code, what+": "+err.Error())
}

type keysAnswer struct {
	Count     int       `json:"count"`
	Truncated bool      `json:"truncated"`
	Keys      []keyInfo `json:"keys"`
	// Next is the cursor of the next page (?after=), when truncated.
	Next string `json:"next,omitempty"`
}

type keyInfo struct {
	Key     string     `json:"key"`
	Parts   []keyPart  `json:"parts"`
	Stale   *timestamp `json:"stale"`
	Expire  *timestamp `json:"expire"`
	Written *timestamp `json:"written"`
	State   string     `json:"state"`
	// Tags are the entry's tags, when it has some and the store tells.
	Tags []string `json:"tags,omitempty"`

	// Endpoint, Host and Variant are the key's namespace (httpcache.Scope):
	// absent for a key that is not an httpcache entry, Host absent when
	// the endpoint does not key the host, Variant only on a Vary variant.
	Endpoint string `json:"endpoint,omitempty"`
	Host     string `json:"host,omitempty"`
	Variant  string `json:"variant,omitempty"`

	// Size is the bytes the value occupies in the store, absent when the
	// store cannot tell.
	Size *int `json:"size,omitempty"`
}

type keyPart struct {
	Name  string  `json:"name"`
	Value *string `json:"value"`
}

// timestamp is a time written as RFC 3339 in UTC with milliseconds.
type timestamp time.Time

const timestampLayout = "2006-01-02T15:04:05.000Z07:00"

func (t timestamp) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format(timestampLayout) + `"`), nil
}

// UnmarshalJSON reads what MarshalJSON writes (any RFC 3339 time).
func (t *timestamp) UnmarshalJSON(b []byte) error {
	var tt time.Time
	if err := tt.UnmarshalJSON(b); err != nil {
		return err
	}
	*t = timestamp(tt)
	return nil
}

// stamp returns t as a *timestamp, nil for the zero time.
func stamp(t time.Time) *timestamp {
	if t.IsZero() {
		return nil
	}
	ts := timestamp(t)
	return &ts
}

// listKeys is GET /keys.
func (a *adminAPI) listKeys(w http.ResponseWriter, r *http.Request) {
	p, err := params(r, "prefix", "limit", "expired", "after")
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err.Error())
		return
	}
	limit := defaultKeysLimit
	if s, ok := p["limit"]; ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxKeysLimit {
			writeJSONError(w, http.StatusBadRequest, fmt.Sprintf("limit %q: want a number from 1 to %d", s, maxKeysLimit))
			return
		}
		limit = n
	}
	expired := false
	if s, ok := p["expired"]; ok {
		if expired, err = strconv.ParseBool(s); err != nil {
			writeJSONError(w, http.StatusBadRequest, fmt.Sprintf("expired %q: want true or false", s))
			return
		}
	}
	a.withStore(w, func(b backend.Backend, kf hitbox.KeyFormat) {
		lister, ok := b.(backend.Lister)
		if !ok {
			writeJSONError(w, http.StatusNotImplemented, "the backend cannot list its keys")
			return
		}
		prefix, err := decodeKey(p["prefix"], kf)
		if err != nil {
			writeJSONError(w, http.StatusBadRequest, "prefix: "+err.Error())
			return
		}
		now := a.clock()
		page := keyPage{after: p["after"], limit: limit}
		err = lister.List(r.Context(), prefix, func(ki backend.KeyInfo) bool {
			if ki.State(now) == backend.Expired && !expired {
				return true
			}
			page.add(encodeKey(ki.Key, kf), ki)
			return true
		})
		if err != nil {
			a.backendError(w, "list", err)
			return
		}
		keys, more := page.keys()
		ans := keysAnswer{Count: page.count, Truncated: more, Keys: make([]keyInfo, len(keys))}
		for i, k := range keys {
			ans.Keys[i] = describeKey(k.info, kf, k.info.State(now))
		}
		if more {
			ans.Next = keys[len(keys)-1].key
		}
		writeJSON(w, http.StatusOK, ans)
	})
}

// describeKey is one entry of GET /keys.
func describeKey(ki backend.KeyInfo, kf hitbox.KeyFormat, state backend.State) keyInfo {
	info := keyInfo{
		Key:     encodeKey(ki.Key, kf),
		Stale:   stamp(ki.Stale),
		Expire:  stamp(ki.Expire),
		Written: stamp(ki.Written),
		State:   state.String(),
		Tags:    ki.Tags,
	}
	if ki.Size >= 0 {
		size := ki.Size
		info.Size = &size
	}
	if k, err := hitbox.ParseKey(ki.Key); err == nil {
		if sc, ok := httpcache.ParseScope(k.Namespace); ok {
			info.Endpoint, info.Host, info.Variant = sc.Endpoint, sc.Host, sc.Variant
		}
		info.Parts = make([]keyPart, len(k.Parts))
		for i, part := range k.Parts {
			info.Parts[i].Name = part.Name
			if part.HasValue {
				v := part.Value
				info.Parts[i].Value = &v
			}
		}
	}
	return info
}

// deleteKey is DELETE /keys?key=.
func (a *adminAPI) deleteKey(w http.ResponseWriter, r *http.Request) {
	p, err := params(r, "key")
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err.Error())
		return
	}
	if p["key"] == "" {
		writeJSONError(w, http.StatusBadRequest, "missing key: DELETE /keys?key=<encoded key>")
		return
	}
	a.withStore(w, func(b backend.Backend, kf hitbox.KeyFormat) {
		key, err := decodeKey(p["key"], kf)
		if err != nil {
			writeJSONError(w, http.StatusBadRequest, "key: "+err.Error())
			return
		}
		deleted, err := b.Delete(r.Context(), key)
		if err != nil {
			a.backendError(w, "delete", err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]bool{"deleted": deleted})
	})
}

// purge is POST /purge.
func (a *adminAPI) purge(w http.ResponseWriter, r *http.Request) {
	if _, err := params(r); err != nil {
		writeJSONError(w, http.StatusBadRequest, err.Error())
		return
	}
	var req struct {
		Prefix json.RawMessage `json:"prefix"` // absent: nil; null: "null"
		Tags   json.RawMessage `json:"tags"`
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAdminBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			writeJSONError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", maxAdminBody))
			return
		}
		writeJSONError(w, http.StatusBadRequest, "reading the body: "+err.Error())
		return
	}
	if len(bytes.TrimSpace(body)) == 0 {
		// A purge of everything is asked explicitly, never by a request
		// that lost its body on the way.
		writeJSONError(w, http.StatusBadRequest, `empty body: want {"prefix": "..."}, {"tags": ["..."]}, or {} to purge everything`)
		return
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeJSONError(w, http.StatusBadRequest, `body: want {"prefix": "..."}, {"tags": ["..."]} or {}: `+err.Error())
		return
	}
	if dec.More() {
		writeJSONError(w, http.StatusBadRequest, `body: want one JSON object`)
		return
	}
	if req.Tags != nil {
		a.purgeTags(w, r, req.Prefix != nil, req.Tags)
		return
	}
	var rawPrefix string
	if req.Prefix != nil {
		// A null prefix is refused, not read as "everything": a client
		// that lost its value on the way must not purge the whole cache.
		if err := json.Unmarshal(req.Prefix, &rawPrefix); err != nil || string(req.Prefix) == "null" {
			writeJSONError(w, http.StatusBadRequest, `prefix: want a string ("" or {} purges everything), got `+string(req.Prefix))
			return
		}
	}
	a.withStore(w, func(b backend.Backend, kf hitbox.KeyFormat) {
		prefix := ""
		if req.Prefix != nil {
			if prefix, err = decodeKey(rawPrefix, kf); err != nil {
				writeJSONError(w, http.StatusBadRequest, "prefix: "+err.Error())
				return
			}
		}
		n, err := backend.PurgePrefix(r.Context(), b, prefix)
		switch {
		case errors.Is(err, backend.ErrUnsupported):
			writeJSONError(w, http.StatusNotImplemented, "the backend cannot purge nor list its keys")
		case err != nil:
			a.backendError(w, "purge", err)
		default:
			writeJSON(w, http.StatusOK, map[string]int{"deleted": n})
		}
	})
}

// serveMetrics is GET /metrics.
func (a *adminAPI) serveMetrics(w http.ResponseWriter, r *http.Request) {
	a.metrics.ServeHTTP(w, r)
}

// healthz is GET /healthz.
func (a *adminAPI) healthz(w http.ResponseWriter, _ *http.Request) {
	if !a.healthy() {
		writeJSONError(w, http.StatusServiceUnavailable, "shutting down")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
