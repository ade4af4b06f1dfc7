package config

import (
	"errors"
	"os"
	"path/filepath"
	"regexp/syntax"
	"strings"
	"testing"
)

func TestErrorText(t *testing.T) {
	e := &Error{File: "hitboxd.yaml", Line: 12, Col: 7, Path: "endpoints[0].request[1].Header", Err: errors.New(`invalid regex "("`)}
	if got, want := e.Error(), `hitboxd.yaml:12:7: endpoints[0].request[1].Header: invalid regex "("`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e.Path = ""
	if got, want := e.Error(), `hitboxd.yaml:12:7: invalid regex "("`; got != want {
		t.Errorf("Error() without path = %q, want %q", got, want)
	}
}

func TestErrorsWrapKindAndCause(t *testing.T) {
	_, _, err := Parse("hitboxd.yaml", []byte(`upstream: http://127.0.0.1:3000
endpoints:
  - polcy: Disabled
    request: [{Header: {x-k: {regex: "("}}}]
`))
	var es Errors
	if !errors.As(err, &es) || len(es) != 2 {
		t.Fatalf("err = %v, want 2 Errors", err)
	}
	if !errors.Is(es[0], ErrUnknownField) || es[0].Line != 3 || es[0].Col != 5 || es[0].Path != "endpoints[0].polcy" {
		t.Errorf("first error = %#v, want an unknown field at 3:5", es[0])
	}
	if !strings.Contains(es[0].Error(), `did you mean "policy"?`) {
		t.Errorf("first error %q has no suggestion", es[0])
	}
	var se *syntax.Error
	if !errors.Is(es[1], ErrValue) || !errors.As(es[1], &se) || se.Code != syntax.ErrMissingParen {
		t.Errorf("second error = %v, want ErrValue wrapping a *syntax.Error", es[1])
	}
	// errors.Is looks into the whole list too.
	if !errors.Is(err, ErrUnknownField) || !errors.Is(err, ErrValue) || errors.Is(err, ErrMissing) {
		t.Errorf("errors.Is on the list gives the wrong kinds")
	}
	if got := strings.Count(err.Error(), "\n"); got != 1 {
		t.Errorf("Errors text has %d newlines, want one line per error", got)
	}
}

func TestErrorsSorted(t *testing.T) {
	_, _, err := Parse("x.yaml", []byte(`endpoints:
  - policy: {Enabled: {ttl: -1}}
backend: {type: Redix}
listen: nope
`))
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("err = %v", err)
	}
	for i := 1; i < len(es); i++ {
		if es[i-1].Line > es[i].Line || es[i-1].Line == es[i].Line && es[i-1].Col > es[i].Col {
			t.Errorf("errors out of order:\n%v", err)
		}
	}
	if len(es) != 4 { // ttl, backend type, listen, missing upstream
		t.Errorf("%d errors, want 4:\n%v", len(es), err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hitboxd.yaml")
	if err := os.WriteFile(path, []byte("upstream: http://127.0.0.1:3000\nendpoints: [{name: a, request: [{Path: /a}]}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, warns, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != path || len(f.Endpoints) != 1 || f.Endpoints[0].Name != "a" {
		t.Errorf("Load = %+v", f)
	}
	if len(warns) == 0 || warns[0].File != path {
		t.Errorf("warnings %v should name the file", warns)
	}
	if _, _, err := Load(filepath.Join(dir, "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want ErrNotExist", err)
	}
	if err := os.WriteFile(path, []byte("upstream: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(path); err == nil || !strings.HasPrefix(err.Error(), path+":1:11: upstream: ") {
		t.Errorf("Load(bad) = %v, want an error at %s:1:11", err, path)
	}
}

func TestSameBackend(t *testing.T) {
	parse := func(src string) *File {
		t.Helper()
		f, _, err := Parse("x.yaml", []byte("upstream: http://127.0.0.1:3000\n"+src))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{"both default", "", "", true},
		{"default and explicit default", "", "backend: {type: Memory, max_bytes: 256MiB}", true},
		{"same in other words", "backend: {max_bytes: 268435456}", "\n\nbackend:\n  type: Moka\n  max_bytes: 256 MiB\n", true},
		{"endpoints do not matter", "endpoints: [{}]", "endpoints: [{policy: Disabled}]", true},
		{"size differs", "backend: {max_bytes: 1MiB}", "backend: {max_bytes: 2MiB}", false},
		{"bound kind differs", "backend: {max_capacity: 1024}", "backend: {max_bytes: 1024}", false},
		{"codec differs", "backend: {value: {format: Json}}", "backend: {value: {format: MsgPack}}", false},
		{"level differs", "backend: {value: {compression: {type: Zstd, level: 3}}}", "backend: {value: {compression: {type: Zstd, level: 4}}}", false},
		{"key format differs", "backend: {key: {format: Binary}}", "", false},
		{"composition policy differs",
			"backend: {type: Composition, l1: {type: Memory}, l2: {type: Memory}}",
			"backend: {type: Composition, l1: {type: Memory}, l2: {type: Memory}, policy: {read: Race}}", false},
		{"redis url differs", `backend: {type: Redis, url: "redis://a:1"}`, `backend: {type: Redis, url: "redis://b:1"}`, false},
		{"redis password differs (the dump hides it)", `backend: {type: Redis, url: "redis://a:1", password: x}`,
			`backend: {type: Redis, url: "redis://a:1", password: y}`, false},
		{"redis URL password differs", `backend: {type: Redis, url: "redis://:x@a:1"}`, `backend: {type: Redis, url: "redis://:y@a:1"}`, false},
		{"sentinel password differs", `backend: {type: Redis, sentinel: {master: m, addresses: ["a:1"], password: x}}`,
			`backend: {type: Redis, sentinel: {master: m, addresses: ["a:1"], password: y}}`, false},
		{"redis defaults written", `backend: {type: Redis, url: "redis://a:1"}`,
			`backend: {type: Redis, url: "redis://a:1", prefix: "hitbox:", timeouts: {operation: 500ms}, breaker: {failures: 5, open: 1, probes: 1}}`, true},
		{"redis timeout differs", `backend: {type: Redis, url: "redis://a:1"}`, `backend: {type: Redis, url: "redis://a:1", timeouts: {read: 1s}}`, false},
		{"invalidation channel differs",
			`backend: {type: Composition, l1: {type: Memory}, l2: {type: Redis, url: "redis://a:1"}, invalidation: {}}`,
			`backend: {type: Composition, l1: {type: Memory}, l2: {type: Redis, url: "redis://a:1"}, invalidation: {channel: c}}`, false},
		{"invalidation default channel written",
			`backend: {type: Composition, l1: {type: Memory}, l2: {type: Redis, url: "redis://a:1"}, invalidation: {}}`,
			`backend: {type: Composition, l1: {type: Memory}, l2: {type: Redis, url: "redis://a:1"}, invalidation: {channel: "hitbox:invalidate"}}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SameBackend(parse(tt.a), parse(tt.b)); got != tt.want {
				t.Errorf("SameBackend = %v, want %v", got, tt.want)
			}
		})
	}
	if !SameBackend(nil, parse("")) {
		t.Error("a nil File should have the default backend")
	}
}

func TestSuggest(t *testing.T) {
	known := []string{"listen", "upstream", "admin", "backend", "endpoints"}
	tests := map[string]string{
		"lisen": "listen", "Listen": "listen", "endpoint": "endpoints", "upstrem": "upstream",
		"backedn": "backend", "xyz": "", "": "", "adminstration": "",
	}
	for in, want := range tests {
		if got := suggest(in, known); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestJoinPath(t *testing.T) {
	tests := []struct{ path, key, want string }{
		{"", "listen", "listen"},
		{"endpoints[0]", "request", "endpoints[0].request"},
		{"a.Header", "x-api-key", "a.Header.x-api-key"},
		{"a.Header", "bad name", `a.Header["bad name"]`},
		{"a", "", `a[""]`},
		{"a", "x.y", `a["x.y"]`},
	}
	for _, tt := range tests {
		if got := joinPath(tt.path, tt.key); got != tt.want {
			t.Errorf("joinPath(%q, %q) = %q, want %q", tt.path, tt.key, got, tt.want)
		}
	}
}

func TestHostileInputs(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"billion laughs", "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n" +
			"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n" +
			"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n" +
			"g: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n", "expands to more than"},
		{"deep flow nesting", strings.Repeat("[", 100000), "nesting deeper than"},
		{"huge file", "upstream: http://h\n# " + strings.Repeat("x", maxFileSize), "larger than"},
		{"self alias", "upstream: &a [*a]\n", "names no anchor"},
		{"binary garbage", "\x00\x01\x02\xff", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Parse("x.yaml", []byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
