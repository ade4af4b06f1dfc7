package hitbox_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/hitboxtest"
)

// clockedTracedCache is tracedCache with the Cache and its memory backend
// on a clock the test moves.
func clockedTracedCache(t *testing.T, opts ...hitbox.Option) (*hitbox.Cache, *tracetest.InMemoryExporter, *hitboxtest.Clock) {
	t.Helper()
	clock := hitboxtest.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	exp, tp := newExporter(t)
	c, _ := newCacheOn(t, newMemory(t, clock.Now), append(opts, hitbox.WithClock(clock), hitbox.WithTracerProvider(tp))...)
	return c, exp, clock
}

// spansUnder returns the names of the spans whose parent is span.
func spansUnder(spans tracetest.SpanStubs, span tracetest.SpanStub) []string {
	var out []string
	for _, s := range spans {
		if s.Parent.SpanID() == span.SpanContext.SpanID() && s.SpanContext.TraceID() == span.SpanContext.TraceID() {
			out = append(out, s.Name)
		}
	}
	return out
}

// TestTraceStaleSpans: a stale entry's answer is a hitbox.do span with
// the status STALE (StaleReturn, StaleOffloadRevalidate, whose background
// refresh is traced under the call's span) or MISS with forward stale
// (StaleRevalidate, with the upstream call and write as children).
func TestTraceStaleSpans(t *testing.T) {
	for _, tc := range []struct {
		mode             hitbox.StaleMode
		status, forward  string
		children, latest []string // under hitbox.do: at once, and once the Cache is shut down
	}{
		{hitbox.StaleReturn, "STALE", "", []string{hitbox.SpanBackendGet}, nil},
		{hitbox.StaleRevalidate, "MISS", "stale",
			[]string{hitbox.SpanBackendGet, hitbox.SpanBackendGet, hitbox.SpanUpstream, hitbox.SpanBackendSet}, nil},
		{hitbox.StaleOffloadRevalidate, "STALE", "",
			[]string{hitbox.SpanBackendGet}, []string{hitbox.SpanBackendGet, hitbox.SpanUpstream, hitbox.SpanBackendSet}},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			c, exp, clock := clockedTracedCache(t)
			p := hitbox.Enabled(time.Hour, time.Minute)
			p.StaleMode = tc.mode
			req := hitbox.Request{Key: "k", Endpoint: "users", Policy: p}
			if _, err := c.Do(context.Background(), req, storeFetch); err != nil {
				t.Fatal(err)
			}
			clock.Advance(2 * time.Minute)
			exp.Reset()
			res, err := c.Do(context.Background(), req, storeFetch)
			if err != nil || res.Status.String() != tc.status {
				t.Fatalf("Do = %+v, %v; want %s", res, err, tc.status)
			}
			do := oneSpan(t, exp.GetSpans(), hitbox.SpanDo)
			wantAttrs(t, do,
				hitbox.AttrEndpoint.String("users"),
				hitbox.AttrStatus.String(tc.status),
				hitbox.AttrForward.String(tc.forward),
				hitbox.AttrSource.String(res.Source),
				hitbox.AttrStaleIfError.Bool(false),
			)
			want := tc.children
			if tc.latest != nil {
				// The background refresh has ended once Shutdown returned.
				if err := c.Close(context.Background()); err != nil {
					t.Fatal(err)
				}
				want = tc.latest
			}
			if got := spansUnder(exp.GetSpans(), do); !sameNames(got, want) {
				t.Errorf("spans under hitbox.do %v; want %v", got, want)
			}
		})
	}
}

// sameNames reports whether a and b hold the same names, in any order.
func sameNames(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

// TestTraceStaleIfErrorSpans: an expired entry standing in for a failed
// upstream call is a STALE hitbox.do with stale_if_error, no error of its
// own (the call succeeded), and the failed upstream span under it.
func TestTraceStaleIfErrorSpans(t *testing.T) {
	c, exp, clock := clockedTracedCache(t)
	p := hitbox.Enabled(time.Minute, 0)
	p.Keep, p.StaleIfError = time.Hour, time.Hour
	req := hitbox.Request{Key: "k", Endpoint: "users", Policy: p}
	if _, err := c.Do(context.Background(), req, storeFetch); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Minute)
	exp.Reset()
	boom := errors.New("upstream down")
	res, err := c.Do(context.Background(), req, func(context.Context) (hitbox.Fetched, error) { return hitbox.Fetched{}, boom })
	if err != nil || res.Status != hitbox.Stale || !res.StaleIfError {
		t.Fatalf("Do = %+v, %v; want a stale-if-error answer", res, err)
	}
	spans := exp.GetSpans()
	do := oneSpan(t, spans, hitbox.SpanDo)
	wantAttrs(t, do,
		hitbox.AttrStatus.String("STALE"),
		hitbox.AttrForward.String("stale"),
		hitbox.AttrStaleIfError.Bool(true),
		hitbox.AttrSource.String(res.Source),
	)
	if do.Status.Code == codes.Error {
		t.Errorf("hitbox.do status %+v; want no error (the entry answered)", do.Status)
	}
	up := oneSpan(t, spans, hitbox.SpanUpstream)
	if up.Status.Code != codes.Error || up.Parent.SpanID() != do.SpanContext.SpanID() {
		t.Errorf("upstream span status %+v, parent %s; want an error under hitbox.do", up.Status, up.Parent.SpanID())
	}
}

// TestTraceCollapsedSpans: of two callers sharing one upstream call, the
// leader's hitbox.do (a stored MISS) holds the upstream call and the
// write; the other's is a HIT marked collapsed, in its own trace, with
// only its lookup under it.
func TestTraceCollapsedSpans(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, exp, tp := tracedCache(t)
		release := make(chan struct{})
		fetch := func(context.Context) (hitbox.Fetched, error) {
			<-release
			return hitbox.Fetched{Value: []byte("v"), Store: true}, nil
		}
		req := hitbox.Request{Key: "k", Endpoint: "users", Policy: hitbox.Enabled(time.Hour, 0)}
		results := make([]hitbox.Result, 2)
		var wg sync.WaitGroup
		for i, name := range []string{"first", "second"} {
			ctx, root := tp.Tracer("test").Start(context.Background(), name)
			wg.Go(func() {
				defer root.End()
				var err error
				if results[i], err = c.Do(ctx, req, fetch); err != nil {
					t.Error(err)
				}
			})
			synctest.Wait() // the first leads before the second comes
		}
		close(release)
		wg.Wait()
		if results[0].Status != hitbox.Miss || results[1].Status != hitbox.Hit || !results[1].Collapsed {
			t.Fatalf("results %+v; want a miss, then a collapsed hit", results)
		}
		spans := exp.GetSpans()
		for i, want := range []struct {
			status    string
			collapsed bool
			children  []string
		}{
			{"MISS", false, []string{hitbox.SpanBackendGet, hitbox.SpanBackendGet, hitbox.SpanUpstream, hitbox.SpanBackendSet}},
			{"HIT", true, []string{hitbox.SpanBackendGet}},
		} {
			root := oneSpan(t, spans, []string{"first", "second"}[i])
			var do *tracetest.SpanStub
			for j := range spans {
				if spans[j].Name == hitbox.SpanDo && spans[j].Parent.SpanID() == root.SpanContext.SpanID() {
					do = &spans[j]
				}
			}
			if do == nil {
				t.Fatalf("caller %d: no hitbox.do under its span; spans %v", i, spanNames(spans))
			}
			wantAttrs(t, *do,
				hitbox.AttrStatus.String(want.status),
				hitbox.AttrCollapsed.Bool(want.collapsed),
				hitbox.AttrStored.Bool(!want.collapsed),
				hitbox.AttrEndpoint.String("users"),
			)
			if got := spansUnder(spans, *do); !sameNames(got, want.children) {
				t.Errorf("caller %d: spans under hitbox.do %v; want %v", i, got, want.children)
			}
		}
	})
}
