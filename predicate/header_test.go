package predicate_test

import (
	"bufio"
	"net/http"
	"strings"
	"testing"

	"github.com/hitbox-go/hitbox/predicate"
)

func mustRegex(expr string) predicate.Op { return must(predicate.Regex(expr)) }

func TestHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		header  string
		op      predicate.Op
		headers []string // "Name: value" lines, in order
		want    bool
	}{
		{"eq", "x-api-key", predicate.Eq("secret"), []string{"X-Api-Key: secret"}, true},
		{"eq name case-insensitive", "X-API-KEY", predicate.Eq("secret"), []string{"x-api-key: secret"}, true},
		{"eq value case-sensitive", "x-api-key", predicate.Eq("secret"), []string{"X-Api-Key: Secret"}, false},
		{"eq absent", "x-api-key", predicate.Eq("secret"), nil, false},
		{"eq configured value trimmed", "x-api-key", predicate.Eq("  secret\t"), []string{"X-Api-Key: secret"}, true},
		{"eq received value trimmed", "x-api-key", predicate.Eq("secret"), []string{"X-Api-Key:   secret  "}, true},
		{"eq any of several values", "x-k", predicate.Eq("b"), []string{"X-K: a", "X-K: b"}, true},
		{"eq none of several values", "x-k", predicate.Eq("c"), []string{"X-K: a", "X-K: b"}, false},
		{"eq a comma list is one value", "accept", predicate.Eq("a"), []string{"Accept: a, b"}, false},
		{"eq empty matches present empty", "x-k", predicate.Eq(""), []string{"X-K: "}, true},
		{"eq empty does not match absent", "x-k", predicate.Eq(""), nil, false},
		{"eq empty does not match a value", "x-k", predicate.Eq(""), []string{"X-K: v"}, false},
		{"in", "accept", predicate.In("a", "b"), []string{"Accept: b"}, true},
		{"in none", "accept", predicate.In("a", "b"), []string{"Accept: c"}, false},
		{"in trimmed", "accept", predicate.In(" a ", " b "), []string{"Accept: b"}, true},
		{"in several values", "accept", predicate.In("a", "b"), []string{"Accept: c", "Accept: a"}, true},
		{"in empty list never matches", "accept", predicate.In(), []string{"Accept: a"}, false},
		{"in empty list never matches empty", "accept", predicate.In(), []string{"Accept: "}, false},
		{"contains", "user-agent", predicate.Contains("bot"), []string{"User-Agent: googlebot/2.1"}, true},
		{"contains case-sensitive", "user-agent", predicate.Contains("Bot"), []string{"User-Agent: googlebot/2.1"}, false},
		{"contains trimmed", "user-agent", predicate.Contains(" bot "), []string{"User-Agent: googlebot/2.1"}, true},
		{"contains in second value", "x-k", predicate.Contains("yy"), []string{"X-K: ab", "X-K: xyyz"}, true},
		{"starts", "x-k", predicate.Starts("v1"), []string{"X-K: v1.2"}, true},
		{"ends", "x-k", predicate.Ends(".2"), []string{"X-K: v1.2"}, true},
		{"regex searches", "x-k", mustRegex("v[0-9]+"), []string{"X-K: xv12y"}, true},
		{"regex anchored", "x-k", mustRegex("^v[0-9]+$"), []string{"X-K: xv12"}, false},
		{"regex anchored matches", "x-k", mustRegex("^v[0-9]+$"), []string{"X-K: v12"}, true},
		{"regex any value", "x-k", mustRegex("^v[0-9]+$"), []string{"X-K: nope", "X-K: v3"}, true},
		{"regex not trimmed", "x-k", mustRegex("^v $"), []string{"X-K: v"}, false},
		{"exist", "x-k", predicate.Exist(), []string{"X-K: anything"}, true},
		{"exist empty value", "x-k", predicate.Exist(), []string{"X-K: "}, true},
		{"exist absent", "x-k", predicate.Exist(), []string{"X-Other: 1"}, false},
		{"host header", "host", predicate.Eq("example.com"), nil, true},
		{"host header differs", "host", predicate.Eq("example.org"), nil, false},
		{"host exists", "Host", predicate.Exist(), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := must(predicate.Header(tt.header, tt.op))
			r := newRequest(t, http.MethodGet, "http://example.com/", "", tt.headers...)
			if got := p.Match(r); got != tt.want {
				t.Errorf("Header(%q, %v).Match(%q) = %v, want %v", tt.header, tt.op, tt.headers, got, tt.want)
			}

			resp := &http.Response{StatusCode: 200, Header: r.Header}
			if strings.EqualFold(tt.header, "host") {
				return // Host is a request header only
			}
			rp := must(predicate.ResponseHeader(tt.header, tt.op))
			if got := rp.Match(resp); got != tt.want {
				t.Errorf("ResponseHeader(%q, %v).Match(%q) = %v, want %v", tt.header, tt.op, tt.headers, got, tt.want)
			}
		})
	}
}

// TestHeaderWire reads requests as the server does (repeated field lines,
// optional whitespace) and checks the predicates on them.
func TestHeaderWire(t *testing.T) {
	t.Parallel()
	const raw = "GET /x HTTP/1.1\r\n" +
		"Host: example.com\r\n" +
		"X-Tenant:  acme \r\n" +
		"x-tenant:\tglobex\r\n" +
		"X-Empty:\r\n" +
		"Accept: text/html, application/json\r\n" +
		"\r\n"
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatalf("ReadRequest: %v", err)
	}
	tests := []struct {
		name   string
		header string
		op     predicate.Op
		want   bool
	}{
		{"first line", "X-Tenant", predicate.Eq("acme"), true},
		{"second line", "x-tenant", predicate.Eq("globex"), true},
		{"neither", "X-TENANT", predicate.Eq("initech"), false},
		{"in across lines", "x-tenant", predicate.In("initech", "globex"), true},
		{"empty value present", "x-empty", predicate.Eq(""), true},
		{"empty value exists", "x-empty", predicate.Exist(), true},
		{"list value whole", "accept", predicate.Eq("text/html, application/json"), true},
		{"list value contains", "accept", predicate.Contains("application/json"), true},
		{"host", "host", predicate.Eq("example.com"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := must(predicate.Header(tt.header, tt.op))
			if got := p.Match(r); got != tt.want {
				t.Errorf("Header(%q, %v).Match(wire request) = %v, want %v", tt.header, tt.op, got, tt.want)
			}
		})
	}
}

func TestHeaderErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		header string
		op     predicate.Op
		want   string
	}{
		{"empty name", "", predicate.Exist(), `invalid header name ""`},
		{"space in name", "x k", predicate.Exist(), `invalid header name "x k"`},
		{"colon in name", "x-k:", predicate.Exist(), `invalid header name "x-k:"`},
		{"non-ASCII name", "x-clé", predicate.Exist(), `invalid header name "x-clé"`},
		{"zero op", "x-k", predicate.Op{}, `header "x-k": no operation`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := predicate.Header(tt.header, tt.op); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Header(%q, %v) error = %v, want one containing %q", tt.header, tt.op, err, tt.want)
			}
			if _, err := predicate.ResponseHeader(tt.header, tt.op); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ResponseHeader(%q, %v) error = %v, want one containing %q", tt.header, tt.op, err, tt.want)
			}
		})
	}
}

func TestRegexError(t *testing.T) {
	t.Parallel()
	for _, expr := range []string{"(", "[a-", `\p{Nope}`, "a**"} {
		_, err := predicate.Regex(expr)
		if err == nil || !strings.Contains(err.Error(), "invalid regex") || !strings.Contains(err.Error(), expr) {
			t.Errorf("Regex(%q) error = %v, want one naming the regex", expr, err)
		}
	}
}

func TestOpString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		op   predicate.Op
		want string
	}{
		{predicate.Eq("v"), `eq "v"`},
		{predicate.In("a", "b"), `in ["a" "b"]`},
		{predicate.Contains("s"), `contains "s"`},
		{predicate.Starts("s"), `starts "s"`},
		{predicate.Ends("s"), `ends "s"`},
		{mustRegex("^v"), `regex "^v"`},
		{predicate.Exist(), "exist"},
		{predicate.Op{}, "none"},
	}
	for _, tt := range tests {
		if got := tt.op.String(); got != tt.want {
			t.Errorf("Op.String() = %q, want %q", got, tt.want)
		}
	}
}

func TestInCopiesValues(t *testing.T) {
	t.Parallel()
	vs := []string{"a", "b"}
	p := must(predicate.Header("x-k", predicate.In(vs...)))
	vs[1] = "z"
	r := newRequest(t, http.MethodGet, "/", "", "X-K: b")
	if !p.Match(r) {
		t.Errorf("Header(x-k, In(a, b)) changed after its value slice was modified")
	}
}
