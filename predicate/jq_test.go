package predicate_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/predicate"
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func bigInt(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic("bad big.Int " + s)
	}
	return n
}

func TestBodyMatchers(t *testing.T) {
	t.Parallel()
	const doc = `{"user":{"role":"admin","email":"a@b.c"},"items":[1,2],"status":"published","n":1,"big":123456789012345678901234567890,"empty":[],"nothing":null,"off":false}`
	tests := []struct {
		name string
		m    predicate.BodyMatcher
		body string
		want bool
	}{
		// jq that must yield true
		{"jq true", must(predicate.JQ(`.user.role == "admin"`)), doc, true},
		{"jq false", must(predicate.JQ(`.user.role == "guest"`)), doc, false},
		{"jq length", must(predicate.JQ(`.items | length > 0`)), doc, true},
		{"jq empty array", must(predicate.JQ(`.empty | length > 0`)), doc, false},
		{"jq non-boolean result is no", must(predicate.JQ(`.user.role`)), doc, false},
		{"jq truthy number is no", must(predicate.JQ(`.n`)), doc, false},
		{"jq null is no", must(predicate.JQ(`.missing`)), doc, false},
		{"jq error is no", must(predicate.JQ(`.user.role.x`)), doc, false},
		{"jq error() is no", must(predicate.JQ(`error("x")`)), doc, false},
		{"jq no result is no", must(predicate.JQ(`empty`)), doc, false},
		{"jq first result decides (true)", must(predicate.JQ(`true, false`)), doc, true},
		{"jq first result decides (false)", must(predicate.JQ(`false, true`)), doc, false},
		{"jq on a JSON scalar body", must(predicate.JQ(`. == 3`)), `3`, true},
		{"jq on a JSON true body", must(predicate.JQ(`.`)), ` true `, true},
		{"jq big integer kept", must(predicate.JQ(`.big == 123456789012345678901234567890`)), doc, true},
		{"jq not JSON", must(predicate.JQ(`true`)), `role=admin`, false},
		{"jq empty body", must(predicate.JQ(`true`)), ``, false},
		{"jq trailing data", must(predicate.JQ(`true`)), `{} {}`, false},
		{"jq truncated JSON", must(predicate.JQ(`true`)), `{"a":`, false},
		{"jq hash", must(predicate.JQ(`.user.email | hash == "` + sha("a@b.c") + `"`)), doc, true},
		// jq with eq / in / exist
		{"jq eq string", must(predicate.JQEq(`.status`, "published")), doc, true},
		{"jq eq string differs", must(predicate.JQEq(`.status`, "draft")), doc, false},
		{"jq eq number", must(predicate.JQEq(`.n`, 1)), doc, true},
		{"jq eq number as float", must(predicate.JQEq(`.n`, 1.0)), doc, true},
		{"jq eq number is not its text", must(predicate.JQEq(`.n`, "1")), doc, false},
		{"jq eq big", must(predicate.JQEq(`.big`, bigInt("123456789012345678901234567890"))), doc, true},
		{"jq eq bool", must(predicate.JQEq(`.off`, false)), doc, true},
		{"jq eq null", must(predicate.JQEq(`.nothing`, nil)), doc, true},
		{"jq eq array", must(predicate.JQEq(`.items`, []any{1, 2})), doc, true},
		{"jq eq object", must(predicate.JQEq(`.user`, map[string]any{"email": "a@b.c", "role": "admin"})), doc, true},
		{"jq eq not JSON", must(predicate.JQEq(`.status`, "published")), `status=published`, false},
		{"jq eq error", must(predicate.JQEq(`.status.x`, "published")), doc, false},
		{"jq in", must(predicate.JQIn(`.status`, "published", "approved")), doc, true},
		{"jq in none", must(predicate.JQIn(`.status`, "draft", "approved")), doc, false},
		{"jq in mixed types", must(predicate.JQIn(`.n`, "x", 1)), doc, true},
		{"jq in empty never matches", must(predicate.JQIn(`.status`)), doc, false},
		{"jq exist", must(predicate.JQExist(`.user.role`)), doc, true},
		{"jq exist false value", must(predicate.JQExist(`.off`)), doc, true},
		{"jq exist null", must(predicate.JQExist(`.nothing`)), doc, false},
		{"jq exist missing", must(predicate.JQExist(`.missing`)), doc, false},
		{"jq exist error", must(predicate.JQExist(`.user.role.x`)), doc, false},
		{"jq exist not JSON", must(predicate.JQExist(`.`)), `plain`, false},
		// raw bytes
		{"raw eq", must(predicate.Raw(predicate.Eq("ping"))), "ping", true},
		{"raw eq not trimmed", must(predicate.Raw(predicate.Eq("ping"))), "ping\n", false},
		{"raw eq empty body", must(predicate.Raw(predicate.Eq(""))), "", true},
		{"raw in", must(predicate.Raw(predicate.In("a", "ping"))), "ping", true},
		{"raw contains", must(predicate.Raw(predicate.Contains(`"role":"admin"`))), doc, true},
		{"raw contains absent", must(predicate.Raw(predicate.Contains(`"role":"guest"`))), doc, false},
		{"raw starts", must(predicate.Raw(predicate.Starts(`{"user"`))), doc, true},
		{"raw starts no", must(predicate.Raw(predicate.Starts(`{"items"`))), doc, false},
		{"raw ends", must(predicate.Raw(predicate.Ends(`false}`))), doc, true},
		{"raw ends no", must(predicate.Raw(predicate.Ends(`}}`))), doc, false},
		{"raw regex searches", must(predicate.Raw(mustRegex(`"n":[0-9]+`))), doc, true},
		{"raw regex anchored", must(predicate.Raw(mustRegex(`^"n"`))), doc, false},
		{"raw on binary", must(predicate.Raw(predicate.Contains("\xff\x00"))), "a\xff\x00b", true},
		// zero matcher
		{"zero matcher never holds", predicate.BodyMatcher{}, doc, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := predicate.Body(tt.m, predicate.BodyOptions{})
			r := newRequest(t, http.MethodPost, "/", tt.body)
			if got := p.Match(r); got != tt.want {
				t.Errorf("Body(%v).Match(%.40q) = %v, want %v", tt.m, tt.body, got, tt.want)
			}
			if back := readAll(t, r.Body); back != tt.body {
				t.Errorf("request body after Match = %.40q, want the original %.40q", back, tt.body)
			}

			rp := predicate.ResponseBody(tt.m, predicate.BodyOptions{})
			rec := httptest.NewRecorder()
			rec.WriteString(tt.body)
			resp := rec.Result()
			if got := rp.Match(resp); got != tt.want {
				t.Errorf("ResponseBody(%v).Match(%.40q) = %v, want %v", tt.m, tt.body, got, tt.want)
			}
			if back := readAll(t, resp.Body); back != tt.body {
				t.Errorf("response body after Match = %.40q, want the original %.40q", back, tt.body)
			}
		})
	}
}

func TestBodyMaxBytes(t *testing.T) {
	t.Parallel()
	body := `{"ok":true,"pad":"` + strings.Repeat("x", 100) + `"}`
	m := must(predicate.JQ(`.ok`))
	tests := []struct {
		name string
		max  int64
		want bool
	}{
		{"fits", int64(len(body)), true},
		{"one byte short", int64(len(body)) - 1, false},
		{"default", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRequest(t, http.MethodPost, "/", body)
			r.ContentLength = -1
			if got := predicate.Body(m, predicate.BodyOptions{MaxBytes: tt.max}).Match(r); got != tt.want {
				t.Errorf("Body(.ok, MaxBytes %d).Match(%d bytes) = %v, want %v", tt.max, len(body), got, tt.want)
			}
			if back := readAll(t, r.Body); back != body {
				t.Errorf("body after Match = %.40q..., want the original", back)
			}
		})
	}
}

func TestBodyAndOtherPredicates(t *testing.T) {
	t.Parallel()
	// Several body predicates on one request all see the whole body.
	p := predicate.And(
		predicate.Body(must(predicate.JQ(`.a == 1`)), predicate.BodyOptions{}),
		predicate.Body(must(predicate.Raw(predicate.Contains(`"b"`))), predicate.BodyOptions{}),
		predicate.Not(predicate.Body(must(predicate.Limit(3)), predicate.BodyOptions{})),
		predicate.Body(must(predicate.JQExist(`.b`)), predicate.BodyOptions{}),
	)
	r := newRequest(t, http.MethodGet, "/", `{"a":1,"b":2}`)
	r.ContentLength = -1
	if !p.Match(r) {
		t.Errorf("And(four body predicates).Match = false, want true")
	}
	if back := readAll(t, r.Body); back != `{"a":1,"b":2}` {
		t.Errorf("body after four predicates = %q, want the original", back)
	}
}

func TestJQTimeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		expr string
	}{
		{"endless recursion", `def f: f; f`},
		{"endless range", `last(range(1; infinite)) > 0`},
		{"endless repeat", `first(repeat(1) | select(. == 2)) == 2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := predicate.Body(must(predicate.JQ(tt.expr)), predicate.BodyOptions{Timeout: 20 * time.Millisecond})
			r := newRequest(t, http.MethodPost, "/", `{}`)
			if p.Match(r) {
				t.Errorf("Body(%s).Match = true, want false (timed out)", tt.expr)
			}
		})
	}
}

func TestJQContextCanceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := predicate.Body(must(predicate.JQ(`true`)), predicate.BodyOptions{Timeout: -1})
	r := newRequest(t, http.MethodPost, "/", `{}`).WithContext(ctx)
	if p.Match(r) {
		t.Errorf("Body(true).Match on a canceled request = true, want false")
	}
	if !p.Match(newRequest(t, http.MethodPost, "/", `{}`)) {
		t.Errorf("Body(true).Match with no timeout = false, want true")
	}
}

func TestJQErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		expr string
		want string
	}{
		{"syntax", `.[`, `invalid jq expression ".["`},
		{"unknown function", `nope(1)`, `invalid jq expression "nope(1)"`},
		{"unknown variable", `$x`, `invalid jq expression "$x"`},
		{"input not allowed", `input`, `invalid jq expression "input"`},
		{"hash takes no argument", `hash(1)`, `invalid jq expression "hash(1)"`},
		{"empty", ``, `empty jq expression`},
		{"blank", `  `, `empty jq expression`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for ctor, f := range map[string]func(string) (predicate.BodyMatcher, error){
				"JQ":      predicate.JQ,
				"JQExist": predicate.JQExist,
				"JQEq":    func(e string) (predicate.BodyMatcher, error) { return predicate.JQEq(e, 1) },
				"JQIn":    func(e string) (predicate.BodyMatcher, error) { return predicate.JQIn(e, 1) },
			} {
				if _, err := f(tt.expr); err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("%s(%q) error = %v, want one containing %q", ctor, tt.expr, err, tt.want)
				}
			}
		})
	}
	if _, err := predicate.JQEq(`.a`, make(chan int)); err == nil || !strings.Contains(err.Error(), "invalid value") {
		t.Errorf("JQEq(.a, chan) error = %v, want an invalid-value error", err)
	}
	if _, err := predicate.JQIn(`.a`, 1, func() {}); err == nil || !strings.Contains(err.Error(), "invalid value") {
		t.Errorf("JQIn(.a, 1, func) error = %v, want an invalid-value error", err)
	}
}

func TestRawErrors(t *testing.T) {
	t.Parallel()
	for _, op := range []predicate.Op{predicate.Exist(), {}} {
		if _, err := predicate.Raw(op); err == nil || !strings.Contains(err.Error(), "not a body operation") {
			t.Errorf("Raw(%v) error = %v, want a not-a-body-operation error", op, err)
		}
	}
}

func TestBodyMatcherString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		m    predicate.BodyMatcher
		want string
	}{
		{must(predicate.JQ(`.a == 1`)), `jq ".a == 1" is true`},
		{must(predicate.JQEq(`.s`, "x")), `jq ".s" eq "x"`},
		{must(predicate.JQEq(`.o`, map[string]any{"b": []any{1.5, false}, "a": nil})), `jq ".o" eq {"a":null,"b":[1.5,false]}`},
		{must(predicate.JQIn(`.n`, 1, 2, "2")), `jq ".n" in [1,2,"2"]`},
		{must(predicate.JQIn(`.n`)), `jq ".n" in []`},
		{must(predicate.JQExist(`.e`)), `jq ".e" exist`},
		{must(predicate.Raw(predicate.Starts("{"))), `starts "{"`},
		{must(predicate.Limit(10)), `limit 10`},
		{must(predicate.Limit(64 << 10)), `limit 64KiB`},
		{predicate.BodyMatcher{}, `none`},
	}
	for _, tt := range tests {
		if got := tt.m.String(); got != tt.want {
			t.Errorf("BodyMatcher.String() = %q, want %q", got, tt.want)
		}
	}
}
