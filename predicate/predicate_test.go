package predicate_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hitbox-go/hitbox/predicate"
)

// newRequest builds a server-side request for target, with the given
// header lines ("Name: value", added in order).
func newRequest(t *testing.T, method, target string, body string, headers ...string) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, target, rd)
	for _, h := range headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			t.Fatalf("newRequest: header %q has no colon", h)
		}
		r.Header.Add(name, value)
	}
	return r
}

// must returns v, and panics (failing the test) on err: constructors with
// valid input must not fail.
func must[T any](v T, err error) T {
	if err != nil {
		panic("unexpected error: " + err.Error())
	}
	return v
}

var (
	yes = predicate.RequestFunc(func(*http.Request) bool { return true })
	no  = predicate.RequestFunc(func(*http.Request) bool { return false })
)

func TestCombinators(t *testing.T) {
	t.Parallel()
	get := func(t *testing.T) predicate.Request {
		t.Helper()
		return must(predicate.Method(http.MethodGet))
	}
	tests := []struct {
		name string
		p    func(t *testing.T) predicate.Request
		want bool
	}{
		{"empty And is neutral", func(*testing.T) predicate.Request { return predicate.And[*http.Request]() }, true},
		{"empty Or is neutral", func(*testing.T) predicate.Request { return predicate.Or[*http.Request]() }, true},
		{"And all true", func(*testing.T) predicate.Request { return predicate.And(yes, yes) }, true},
		{"And one false", func(*testing.T) predicate.Request { return predicate.And(yes, no, yes) }, false},
		{"Or one true", func(*testing.T) predicate.Request { return predicate.Or(no, yes) }, true},
		{"Or all false", func(*testing.T) predicate.Request { return predicate.Or(no, no) }, false},
		{"Not true", func(*testing.T) predicate.Request { return predicate.Not(yes) }, false},
		{"Not false", func(*testing.T) predicate.Request { return predicate.Not(no) }, true},
		{"Not nil never holds", func(*testing.T) predicate.Request { return predicate.Not[*http.Request](nil) }, false},
		{"nil operands of And are dropped", func(*testing.T) predicate.Request { return predicate.And(nil, yes, nil) }, true},
		{"nil operands of Or are dropped", func(*testing.T) predicate.Request { return predicate.Or(nil, no) }, false},
		{"Or of nils is empty", func(*testing.T) predicate.Request { return predicate.Or[*http.Request](nil, nil) }, true},
		{"nested And Or Not", func(t *testing.T) predicate.Request {
			// GET and (no or not(no)) and not(or(no, and(yes, no)))
			return predicate.And(get(t), predicate.Or(no, predicate.Not(no)), predicate.Not(predicate.Or(no, predicate.And(yes, no))))
		}, true},
		{"nested Not of And", func(t *testing.T) predicate.Request {
			return predicate.Not(predicate.And(get(t), predicate.Or(yes, no)))
		}, false},
		{"double Not", func(t *testing.T) predicate.Request { return predicate.Not(predicate.Not(get(t))) }, true},
		{"empty Or inside And", func(t *testing.T) predicate.Request {
			return predicate.And(get(t), predicate.Or[*http.Request]())
		}, true},
		{"Not of empty And", func(*testing.T) predicate.Request { return predicate.Not(predicate.And[*http.Request]()) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRequest(t, http.MethodGet, "/", "")
			if got := tt.p(t).Match(r); got != tt.want {
				t.Errorf("Match(GET /) = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCombinatorsShortCircuit(t *testing.T) {
	t.Parallel()
	var calls []string
	rec := func(name string, v bool) predicate.Request {
		return predicate.RequestFunc(func(*http.Request) bool {
			calls = append(calls, name)
			return v
		})
	}
	r := newRequest(t, http.MethodGet, "/", "")
	predicate.And(rec("a", true), rec("b", false), rec("c", true)).Match(r)
	predicate.Or(rec("d", false), rec("e", true), rec("f", true)).Match(r)
	if got, want := strings.Join(calls, ","), "a,b,d,e"; got != want {
		t.Errorf("evaluated %s, want %s", got, want)
	}
}

func TestCombinatorsCopyOperands(t *testing.T) {
	t.Parallel()
	ps := []predicate.Request{yes, yes}
	and := predicate.And(ps...)
	ps[1] = no
	if !and.Match(newRequest(t, http.MethodGet, "/", "")) {
		t.Errorf("And changed after its operand slice was modified")
	}
}

func TestResponseCombinators(t *testing.T) {
	t.Parallel()
	ok := predicate.Status(http.StatusOK)
	notFound := predicate.Status(http.StatusNotFound)
	short := predicate.ResponseFunc(func(resp *http.Response) bool { return resp.ContentLength < 10 })
	tests := []struct {
		name string
		p    predicate.Response
		code int
		want bool
	}{
		{"And", predicate.And(ok, short), 200, true},
		{"And fails", predicate.And(ok, short), 404, false},
		{"Or", predicate.Or(ok, notFound), 404, true},
		{"Or fails", predicate.Or(ok, notFound), 500, false},
		{"Not", predicate.Not(notFound), 200, true},
		{"Not fails", predicate.Not(notFound), 404, false},
		{"nested", predicate.Or(predicate.And(ok, predicate.Not(short)), notFound), 200, false},
		{"empty And", predicate.And[*http.Response](), 500, true},
		{"empty Or", predicate.Or[*http.Response](), 500, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp := &http.Response{StatusCode: tt.code, ContentLength: 2}
			if got := tt.p.Match(resp); got != tt.want {
				t.Errorf("Match(status %d) = %v, want %v", tt.code, got, tt.want)
			}
		})
	}
}

func TestNilRequestAndResponse(t *testing.T) {
	t.Parallel()
	reqs := map[string]predicate.Request{
		"Method": must(predicate.Method(http.MethodGet)),
		"Path":   must(predicate.Path("*")),
		"Header": must(predicate.Header("x", predicate.Exist())),
		"Query":  must(predicate.Query("x", predicate.Exist())),
		"Body":   predicate.Body(must(predicate.Raw(predicate.Eq(""))), predicate.BodyOptions{}),
		"Limit":  predicate.Body(must(predicate.Limit(10)), predicate.BodyOptions{}),
	}
	for name, p := range reqs {
		if p.Match(nil) {
			t.Errorf("%s.Match(nil request) = true, want false", name)
		}
	}
	resps := map[string]predicate.Response{
		"Status":      predicate.Status(200),
		"StatusIn":    predicate.StatusIn(200),
		"StatusClass": predicate.StatusClass(predicate.Success),
		"Header":      must(predicate.ResponseHeader("x", predicate.Exist())),
		"Body":        predicate.ResponseBody(must(predicate.Raw(predicate.Eq(""))), predicate.BodyOptions{}),
		"Limit":       predicate.ResponseBody(must(predicate.Limit(10)), predicate.BodyOptions{}),
	}
	for name, p := range resps {
		if p.Match(nil) {
			t.Errorf("%s.Match(nil response) = true, want false", name)
		}
	}
}
