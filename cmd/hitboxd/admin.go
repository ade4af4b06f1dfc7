package main

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"crypto/subtle"
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
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/httpcache"
	"github.com/hitbox-go/hitbox/metrics"
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
	log     *slog.Logger
	// now is the clock deciding which entries are expired; nil: time.Now.
	now func() time.Time
}

// adminHandler answers one admin call.
type adminHandler func(a *adminAPI, w http.ResponseWriter, r *http.Request)

// adminRoute returns the handlers of path by method, or nil for an
// unknown path.
func adminRoute(path string) map[string]adminHandler {
	switch path {
	case "/keys":
		return map[string]adminHandler{http.MethodGet: (*adminAPI).listKeys, http.MethodDelete: (*adminAPI).deleteKey}
	case "/purge":
		return map[string]adminHandler{http.MethodPost: (*adminAPI).purge}
	case "/stats":
		return map[string]adminHandler{http.MethodGet: (*adminAPI).stats}
	case "/metrics":
		return map[string]adminHandler{http.MethodGet: (*adminAPI).serveMetrics}
	case "/healthz":
		return map[string]adminHandler{http.MethodGet: (*adminAPI).healthz}
	}
	return nil
}

func (a *adminAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if path != "/healthz" && !a.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="hitboxd"`)
		writeJSONError(w, http.StatusUnauthorized, "missing or wrong bearer token")
		return
	}
	route := adminRoute(path)
	if route == nil {
		writeJSONError(w, http.StatusNotFound, fmt.Sprintf("no such admin call: %s (see /keys, /purge, /stats, /metrics, /healthz)", path))
		return
	}
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet // net/http drops the body
	}
	h, ok := route[method]
	if !ok {
		allow := make([]string, 0, len(route)+1)
		for m := range route {
			allow = append(allow, m)
			if m == http.MethodGet {
				allow = append(allow, http.MethodHead)
			}
		}
		slices.Sort(allow)
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeJSONError(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s %s: method not allowed (allowed: %s)", r.Method, path, strings.Join(allow, ", ")))
		return
	}
	h(a, w, r)
}

// authorized reports whether r carries the token in force, comparing in
// constant time (hashes, so the token's length does not leak either).
func (a *adminAPI) authorized(r *http.Request) bool {
	want := a.token()
	if want == "" {
		return true
	}
	scheme, got, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	w, g := sha256.Sum256([]byte(want)), sha256.Sum256([]byte(strings.TrimSpace(got)))
	return subtle.ConstantTimeCompare(w[:], g[:]) == 1
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

	// Endpoint, Host and Variant are the key's namespace (httpcache.Scope):
	// absent for a key that is not an httpcache entry, Host absent when
	// the endpoint does not key the host, Variant only on a Vary variant.
	Endpoint string `json:"endpoint,omitempty"`
	Host     string `json:"host,omitempty"`
	Variant  string `json:"variant,omitempty"`
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
		Prefix *string `json:"prefix"`
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
		writeJSONError(w, http.StatusBadRequest, `empty body: want {"prefix": "..."}, or {} to purge everything`)
		return
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeJSONError(w, http.StatusBadRequest, `body: want {"prefix": "..."} or {}: `+err.Error())
		return
	}
	if dec.More() {
		writeJSONError(w, http.StatusBadRequest, `body: want one JSON object`)
		return
	}
	a.withStore(w, func(b backend.Backend, kf hitbox.KeyFormat) {
		prefix := ""
		if req.Prefix != nil {
			if prefix, err = decodeKey(*req.Prefix, kf); err != nil {
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

// statsAnswer is GET /stats: the flow's totals at the top level (requests,
// hits, stale, misses, bypass, collapsed, upstream, upstream_errors,
// stale_if_error, revalidations), the same per endpoint, and per backend
// label the flow's reads and writes with the store's own counters.
type statsAnswer struct {
	metrics.Counts
	// Entries and Bytes are the backend's, null when it cannot tell (a
	// composition: see its layers under backends).
	Entries   *int64                    `json:"entries"`
	Bytes     *int64                    `json:"bytes"`
	Endpoints map[string]metrics.Counts `json:"endpoints"`
	Backends  map[string]*backendStats  `json:"backends"`
}

// backendStats is one backend label of /stats: what the flow saw of it
// (hits, stale, misses, stored, read_errors, write_errors) and, under
// "store", the store's own counters (errors, evictions, entries, bytes).
type backendStats struct {
	metrics.BackendCounts
	Store *backend.Stats `json:"store,omitempty"`
}

// stats is GET /stats.
func (a *adminAPI) stats(w http.ResponseWriter, r *http.Request) {
	if _, err := params(r); err != nil {
		writeJSONError(w, http.StatusBadRequest, err.Error())
		return
	}
	snap := a.snapshot()
	ans := statsAnswer{Counts: snap.Total, Endpoints: snap.Endpoints, Backends: map[string]*backendStats{}}
	for label, c := range snap.Backends {
		ans.Backends[label] = &backendStats{BackendCounts: c}
	}
	a.withStore(w, func(b backend.Backend, _ hitbox.KeyFormat) {
		if sr, ok := b.(backend.StatsReporter); ok {
			st := sr.Stats()
			if st.Entries >= 0 {
				ans.Entries = &st.Entries
			}
			if st.Bytes >= 0 {
				ans.Bytes = &st.Bytes
			}
			addStoreStats(ans.Backends, st, backend.DefaultLabel)
		}
		writeJSON(w, http.StatusOK, ans)
	})
}

// addStoreStats files st and its layers under their labels.
func addStoreStats(out map[string]*backendStats, st backend.Stats, fallback string) {
	label := cmp.Or(st.Label, fallback)
	layers := st.Layers
	st.Layers = nil
	bs, ok := out[label]
	if !ok {
		bs = &backendStats{}
		out[label] = bs
	}
	bs.Store = &st
	for i, l := range layers {
		addStoreStats(out, l, label+".l"+strconv.Itoa(i+1))
	}
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
