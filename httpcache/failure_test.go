package httpcache

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hitbox-go/hitbox"
)

// requireFlowFailed skips a test that needs the flow's side of
// Fetched.Failed (sharing a failed answer, stale-if-error on it) when
// this build's flow does not implement it yet.
func requireFlowFailed(t *testing.T) {
	t.Helper()
	e := newEnv(t)
	res, err := e.cache.Do(t.Context(), hitbox.Request{Key: "probe", Policy: hitbox.Enabled(time.Minute, 0)},
		func(context.Context) (hitbox.Fetched, error) {
			return hitbox.Fetched{Value: []byte("x"), Failed: true}, nil
		})
	if err != nil || !res.Failed {
		t.Skip("the flow does not report Fetched.Failed yet (Result.Failed)")
	}
}

// staleIfError keeps entries 5 minutes past a 2 s TTL and serves them
// when the upstream fails.
var staleIfError = hitbox.Policy{TTL: 2 * time.Second, Keep: 5 * time.Minute, StaleIfError: 5 * time.Minute}

const csStaleIfError = "hitbox; hit; ttl=-1; detail=stale-if-error"

func TestMiddlewareStaleIfError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		needFlow bool
		fail     func(w http.ResponseWriter)
	}{
		{"500", true, func(w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) }},
		{"504", true, func(w http.ResponseWriter) { w.WriteHeader(http.StatusGatewayTimeout) }},
		{"aborted", false, func(http.ResponseWriter) { panic(http.ErrAbortHandler) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.needFlow {
				requireFlowFailed(t)
			}
			e := newEnv(t)
			var calls atomic.Int64
			next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) > 1 {
					tc.fail(w)
					return
				}
				_, _ = io.WriteString(w, "good")
			})
			h := e.middleware(t, next, []Endpoint{{Policy: staleIfError}})
			check(t, "first", serve(t, h, http.MethodGet, "/s", ""), miss(csMissStored, "good"))
			e.clock.Advance(3 * time.Second)
			a := serve(t, h, http.MethodGet, "/s", "")
			check(t, "failed upstream", a, answer{xcache: "STALE", cacheStatus: csStaleIfError, age: "3", hasAge: true, body: "good", status: 200})
		})
	}
}

func TestTransportStaleIfError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		needFlow bool
		fail     func() (*http.Response, error)
	}{
		{"503", true, func() (*http.Response, error) {
			return &http.Response{StatusCode: http.StatusServiceUnavailable, Header: http.Header{}, Body: http.NoBody}, nil
		}},
		{"connection refused", false, func() (*http.Response, error) { return nil, errors.New("connection refused") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.needFlow {
				requireFlowFailed(t)
			}
			e := newEnv(t)
			up := &upstream{}
			srv := httptest.NewServer(up)
			defer srv.Close()
			var calls atomic.Int64
			base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if calls.Add(1) > 1 {
					return tc.fail()
				}
				return srv.Client().Transport.RoundTrip(r)
			})
			tr, err := NewTransport(e.cache, base, []Endpoint{{Policy: staleIfError}})
			if err != nil {
				t.Fatal(err)
			}
			c := &http.Client{Transport: tr}
			check(t, "first", get(t, c, http.MethodGet, srv.URL+"/s", ""), miss(csMissStored, "hello #1"))
			e.clock.Advance(3 * time.Second)
			check(t, "failed upstream", get(t, c, http.MethodGet, srv.URL+"/s", ""),
				answer{xcache: "STALE", cacheStatus: csStaleIfError, age: "3", hasAge: true, body: "hello #1", status: 200})
		})
	}
}

// TestMiddlewareFailureSharedOnce: without stale-if-error, a 500 goes to
// every caller waiting for the shared call: one handler call for all.
func TestMiddlewareFailureSharedOnce(t *testing.T) {
	t.Parallel()
	requireFlowFailed(t)
	synctest.Test(t, func(t *testing.T) {
		const n = 10
		e := newEnv(t)
		up := &upstream{status: http.StatusInternalServerError}
		answers := askTogether(t, e, up, n, "/down")
		for i, a := range answers {
			if a.status != http.StatusInternalServerError || a.xcache != "MISS" || a.body != "hello #1" || a.cacheStatus != "hitbox; fwd=miss; fwd-status=500" {
				t.Errorf("answer %d: %d %s %q %q; want the one 500 MISS", i, a.status, a.xcache, a.cacheStatus, a.body)
			}
		}
		if got := up.calls.Load(); got != 1 {
			t.Errorf("handler called %d times for %d callers, want 1", got, n)
		}
	})
}

func TestTransportFailureSharedOnce(t *testing.T) {
	t.Parallel()
	requireFlowFailed(t)
	// In a bubble, with an in-memory base RoundTripper, so that the test
	// releases the upstream only once all callers wait on its call.
	synctest.Test(t, func(t *testing.T) {
		const n = 10
		e := newEnv(t)
		release := make(chan struct{})
		up := &upstream{status: http.StatusBadGateway}
		base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			<-release
			w := httptest.NewRecorder()
			up.ServeHTTP(w, r)
			return w.Result(), nil
		})
		tr, err := NewTransport(e.cache, base, []Endpoint{{Policy: hitbox.Enabled(time.Minute, 0)}})
		if err != nil {
			t.Fatal(err)
		}
		c := &http.Client{Transport: tr}
		answers := make([]answer, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { answers[i] = get(t, c, http.MethodGet, "http://upstream.example/down", "") })
		}
		synctest.Wait()
		close(release)
		wg.Wait()
		for i, a := range answers {
			if a.status != http.StatusBadGateway || a.body != "hello #1" {
				t.Errorf("answer %d: %d %q; want the one 502", i, a.status, a.body)
			}
		}
		if got := up.calls.Load(); got != 1 {
			t.Errorf("upstream called %d times for %d callers, want 1", got, n)
		}
	})
}

func TestWithFailureStatusesInvalid(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if _, err := Middleware(e.cache, nil, WithFailureStatuses(99)); !errors.Is(err, ErrInvalidOption) {
		t.Errorf("WithFailureStatuses(99): %v, want ErrInvalidOption", err)
	}
}
