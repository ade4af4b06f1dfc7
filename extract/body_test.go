package extract

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox"
)

func TestBody(t *testing.T) {
	t.Parallel()
	p, absent := hitbox.Part, hitbox.AbsentPart
	const doc = `{"user": {"email": "a@example.com", "id": 123, "big": 12345678901234567890, "price": 1.50,
		"admin": true, "tags": ["x", "y"], "meta": {"b": 2, "a": [1, "s"]}, "none": null}}`
	tests := []struct {
		name, expr, body string
		want             []hitbox.KeyPart
	}{
		{"string unquoted", ".user.email", doc, []hitbox.KeyPart{p(".user.email", "a@example.com")}},
		{"number as its JSON text", ".user.id", doc, []hitbox.KeyPart{p(".user.id", "123")}},
		{"big integer kept", ".user.big", doc, []hitbox.KeyPart{p(".user.big", "12345678901234567890")}},
		{"decimal kept as written", ".user.price", doc, []hitbox.KeyPart{p(".user.price", "1.50")}},
		{"bool", ".user.admin", doc, []hitbox.KeyPart{p(".user.admin", "true")}},
		{"array compact", ".user.tags", doc, []hitbox.KeyPart{p(".user.tags", `["x","y"]`)}},
		{"object compact, keys sorted", ".user.meta", doc, []hitbox.KeyPart{p(".user.meta", `{"a":[1,"s"],"b":2}`)}},
		{"null has no value", ".user.none", doc, []hitbox.KeyPart{absent(".user.none")}},
		{"missing has no value", ".user.nothing", doc, []hitbox.KeyPart{absent(".user.nothing")}},
		{"no result has no value", "empty", doc, []hitbox.KeyPart{absent("empty")}},
		{"several results, one part each", ".user.tags[]", doc, []hitbox.KeyPart{p(".user.tags[]", "x"), p(".user.tags[]", "y")}},
		{"empty body is null", ".user.email", "", []hitbox.KeyPart{absent(".user.email")}},
		{"blank body is null", ".a", " \n\t", []hitbox.KeyPart{absent(".a")}},
		{"computed", ".user.id * 2", doc, []hitbox.KeyPart{p(".user.id * 2", "246")}},
		{"hash of a string's bytes", ".user.email | hash", doc, []hitbox.KeyPart{p(".user.email | hash", hashHex("a@example.com"))}},
		{"hash of a number's text", ".user.id | hash", doc, []hitbox.KeyPart{p(".user.id | hash", hashHex("123"))}},
		{"hash of compact JSON", ".user.meta | hash", doc, []hitbox.KeyPart{p(".user.meta | hash", hashHex(`{"a":[1,"s"],"b":2}`))}},
		{"halt ends the results", ".user.id, halt", doc, []hitbox.KeyPart{p(".user.id, halt", "123")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := must(t)(Body(tt.expr))
			checkParts(t, "Body("+tt.expr+")", extract(t, e, request(t, "POST", "/", tt.body)), tt.want)
		})
	}
}

func TestBodyErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, expr, body string
		want             error // nil: any error
	}{
		{"not JSON", ".a", "a=1&b=2", ErrBadBody},
		{"data after the value", ".a", `{"a":1} {"a":2}`, ErrBadBody},
		{"truncated JSON", ".a", `{"a":`, ErrBadBody},
		{"jq error", ".a.b", `{"a":"str"}`, nil},
		{"error function", `error("x")`, `{}`, nil},
		{"error after a result", `.a, .a.b`, `{"a":"str"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, mk := range []func(string, ...BodyOption) (Extractor, error){Body, BodyJQ} {
				e := must(t)(mk(tt.expr))
				prefix := []hitbox.KeyPart{hitbox.Part("method", "POST")}
				parts, err := e.Extract(request(t, "POST", "/", tt.body), prefix)
				if err == nil || tt.want != nil && !errors.Is(err, tt.want) {
					t.Errorf("%q on %q: err = %v, want %v", tt.expr, tt.body, err, tt.want)
				}
				checkParts(t, "parts returned with the error", parts, prefix)
			}
		})
	}
}

func TestBodyBadExpression(t *testing.T) {
	t.Parallel()
	for _, expr := range []string{"", ".a |", "{", "nosuchfunction(1)"} {
		if _, err := Body(expr); err == nil {
			t.Errorf("Body(%q): no error", expr)
		}
		if _, err := BodyJQ(expr); err == nil {
			t.Errorf("BodyJQ(%q): no error", expr)
		}
	}
	if _, err := BodyRegex("(", "", false, PartTransforms{}); err == nil {
		t.Errorf("BodyRegex((): no error")
	}
	if _, err := BodyRegex("a", "", false, PartTransforms{All: Transforms{{Kind: 99}}}); err == nil {
		t.Errorf("BodyRegex with an invalid transform: no error")
	}
}

func TestBodyTimeout(t *testing.T) {
	t.Parallel()
	// An endless expression stops at the deadline with an error.
	e := must(t)(Body("def f: f; f", WithTimeout(time.Millisecond)))
	if _, err := e.Extract(request(t, "POST", "/", "{}"), nil); err == nil {
		t.Fatal("endless jq: no error")
	}
}

func TestBodyJQ(t *testing.T) {
	t.Parallel()
	p, absent := hitbox.Part, hitbox.AbsentPart
	const doc = `{"u": 7, "r": "admin", "order": {"customer_id": "c-9"}, "t": "tok",
		"items": [{"id": 1, "q": 2, "name": "a"}, {"id": 3, "q": 4, "name": "b"}],
		"tags": ["x", 2, null, [1]], "k": "dyn", "user": {"z": 1, "a": 2}, "n": null}`
	tests := []struct {
		name, expr string
		want       []hitbox.KeyPart
	}{
		{"object fields in the order built", "{user_id: .u, role: .r}", []hitbox.KeyPart{p("user_id", "7"), p("role", "admin")}},
		{"reverse alphabetical order kept", "{z: .u, y: .r, x: .t}", []hitbox.KeyPart{p("z", "7"), p("y", "admin"), p("x", "tok")}},
		{"config example", "{customer: .order.customer_id}", []hitbox.KeyPart{p("customer", "c-9")}},
		{"shorthand fields", "{u, r}", []hitbox.KeyPart{p("u", "7"), p("r", "admin")}},
		{"quoted keys", `{"role": .r, "user id": .u}`, []hitbox.KeyPart{p("role", "admin"), p("user id", "7")}},
		{"variable shorthand", ".r as $role | {user: .u, $role}", []hitbox.KeyPart{p("user", "7"), p("role", "admin")}},
		{"null field has no value", "{b: .n, a: .u}", []hitbox.KeyPart{absent("b"), p("a", "7")}},
		{"nested object compact", "{w: .user, v: 1}", []hitbox.KeyPart{p("w", `{"a":2,"z":1}`), p("v", "1")}},
		{"merged objects in order written", "{b: .u} + {a: .r}", []hitbox.KeyPart{p("b", "7"), p("a", "admin")}},
		{"computed key after literal ones", "{(.k): 1, b: 2, a: 3}", []hitbox.KeyPart{p("b", "2"), p("a", "3"), p("dyn", "1")}},
		{"object from the input sorted", ".user", []hitbox.KeyPart{p("a", "2"), p("z", "1")}},
		{"defined function", "def f: {y: .u, x: .r}; f", []hitbox.KeyPart{p("y", "7"), p("x", "admin")}},
		{"hash function", "{token: (.t | hash)}", []hitbox.KeyPart{p("token", hashHex("tok"))}},
		{"array of objects, each in turn", "[.items[] | {qty: .q, id: .id}]",
			[]hitbox.KeyPart{p("qty", "2"), p("id", "1"), p("qty", "4"), p("id", "3")}},
		{"map of objects", ".items | map({qty: .q, id: .id})",
			[]hitbox.KeyPart{p("qty", "2"), p("id", "1"), p("qty", "4"), p("id", "3")}},
		{"several object results", ".items[] | {name, id}",
			[]hitbox.KeyPart{p("name", "a"), p("id", "1"), p("name", "b"), p("id", "3")}},
		{"array of primitives", ".tags", []hitbox.KeyPart{p("body", "x"), p("body", "2"), absent("body"), p("body", "[1]")}},
		{"empty array adds nothing", "[]", nil},
		{"string primitive", ".r", []hitbox.KeyPart{p("body", "admin")}},
		{"number primitive", ".u", []hitbox.KeyPart{p("body", "7")}},
		{"null", ".n", []hitbox.KeyPart{absent("body")}},
		{"missing", ".nothing", []hitbox.KeyPart{absent("body")}},
		{"no result", "empty", []hitbox.KeyPart{absent("body")}},
		{"empty object adds nothing", "{}", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := must(t)(BodyJQ(tt.expr))
			checkParts(t, "BodyJQ("+tt.expr+")", extract(t, e, request(t, "POST", "/", doc)), tt.want)
		})
	}
}

func TestBodyJQBranches(t *testing.T) {
	t.Parallel()
	// Each branch builds its own shape; a result takes the first shape
	// with exactly its keys.
	e := must(t)(BodyJQ(`if .x then {b: 1, a: 2} else {c: 3, d: 4} end`))
	p := hitbox.Part
	checkParts(t, "then", extract(t, e, request(t, "POST", "/", `{"x": true}`)), []hitbox.KeyPart{p("b", "1"), p("a", "2")})
	checkParts(t, "else", extract(t, e, request(t, "POST", "/", `{"x": false}`)), []hitbox.KeyPart{p("c", "3"), p("d", "4")})
}

func TestBodyHash(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
	}{
		{"json", `{"a":1}`},
		{"empty", ""},
		{"binary", "\x00\xff\x01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := extract(t, BodyHash(), request(t, "POST", "/", tt.body))
			checkParts(t, "BodyHash()", got, []hitbox.KeyPart{hitbox.Part("body", hashHex(tt.body))})
		})
	}
	// A known vector, so that hashHex itself is checked.
	got := extract(t, BodyHash(), request(t, "POST", "/", "abc"))
	checkParts(t, "BodyHash(abc)", got, []hitbox.KeyPart{hitbox.Part("body", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")})
}

func TestBodyRegex(t *testing.T) {
	t.Parallel()
	p, absent := hitbox.Part, hitbox.AbsentPart
	hash := Transforms{{Kind: TransformHash}}
	const body = `{"session":"abc123","users":["Bob@Example.com","Ann@Mail.org"]}`
	tests := []struct {
		name, pattern, key string
		global             bool
		t                  PartTransforms
		want               []hitbox.KeyPart
	}{
		{"config example", `"session":"([a-z0-9]+)"`, "session", false, PartTransforms{All: hash},
			[]hitbox.KeyPart{p("session", hashHex("abc123"))}},
		{"first group, no transform", `"session":"([a-z0-9]+)"`, "session", false, PartTransforms{},
			[]hitbox.KeyPart{p("session", "abc123")}},
		{"default key body, whole match", `[a-z]+[0-9]+`, "", false, PartTransforms{},
			[]hitbox.KeyPart{p("body", "abc123")}},
		{"named groups in group order", `(?P<user>\w+)@(?P<domain>[\w.]+)`, "ignored", false, PartTransforms{},
			[]hitbox.KeyPart{p("user", "Bob"), p("domain", "Example.com")}},
		{"global named groups match by match", `(?P<user>\w+)@(?P<domain>[\w.]+)`, "", true, PartTransforms{},
			[]hitbox.KeyPart{p("user", "Bob"), p("domain", "Example.com"), p("user", "Ann"), p("domain", "Mail.org")}},
		{"global key", `"(\w+)@`, "u", true, PartTransforms{},
			[]hitbox.KeyPart{p("u", "Bob"), p("u", "Ann")}},
		{"transforms map form", `(?P<user>\w+)@(?P<domain>[\w.]+)`, "", false,
			PartTransforms{ByPart: map[string]Transforms{"user": {{Kind: TransformUppercase}}, "domain": {{Kind: TransformLowercase}, {Kind: TransformHash}}}},
			[]hitbox.KeyPart{p("user", "BOB"), p("domain", hashHex("example.com"))}},
		{"map form leaves other parts raw", `(?P<user>\w+)@(?P<domain>[\w.]+)`, "", false,
			PartTransforms{ByPart: map[string]Transforms{"token": hash}},
			[]hitbox.KeyPart{p("user", "Bob"), p("domain", "Example.com")}},
		{"list form on every part", `(?P<user>\w+)@(?P<domain>[\w.]+)`, "", false,
			PartTransforms{All: Transforms{{Kind: TransformLowercase}, {Kind: TransformTruncate, N: 3}}},
			[]hitbox.KeyPart{p("user", "bob"), p("domain", "exa")}},
		{"truncate", `"session":"(\w+)"`, "s", false, PartTransforms{All: Transforms{{Kind: TransformTruncate, N: 3}}},
			[]hitbox.KeyPart{p("s", "abc")}},
		{"no match gives parts with no value", `"token":"(\w+)"`, "token", false, PartTransforms{All: hash},
			[]hitbox.KeyPart{absent("token")}},
		{"no match, named groups", `(?P<a>zz)(?P<b>yy)`, "", true, PartTransforms{},
			[]hitbox.KeyPart{absent("a"), absent("b")}},
		{"named group not taken has no value", `"session":"(?P<s>[a-z]+)(?P<n>X)?`, "", false, PartTransforms{},
			[]hitbox.KeyPart{p("s", "abc"), absent("n")}},
		{"unnamed groups ignored beside named ones", `(\w+)@(?P<domain>\w+)`, "", false, PartTransforms{},
			[]hitbox.KeyPart{p("domain", "Example")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := must(t)(BodyRegex(tt.pattern, tt.key, tt.global, tt.t))
			checkParts(t, "BodyRegex("+tt.pattern+")", extract(t, e, request(t, "POST", "/", body)), tt.want)
		})
	}
}

// bodyExtractors returns one extractor of each body form.
func bodyExtractors(t *testing.T, opts ...BodyOption) map[string]Extractor {
	t.Helper()
	return map[string]Extractor{
		"Body":      must(t)(Body(".a", opts...)),
		"BodyJQ":    must(t)(BodyJQ("{a}", opts...)),
		"BodyHash":  BodyHash(opts...),
		"BodyRegex": must(t)(BodyRegex(`"a": *(\d+)`, "a", false, PartTransforms{}, opts...)),
	}
}

// opaqueBody hides the concrete reader type, like a body off the network:
// no GetBody, no Bytes method, unknown length.
type opaqueBody struct {
	io.Reader
	closed bool
}

func (b *opaqueBody) Close() error { b.closed = true; return nil }

func TestBodyReplay(t *testing.T) {
	t.Parallel()
	const body = `{"a": 42, "pad": "` + "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" + `"}`
	for name, e := range bodyExtractors(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			kinds := map[string]func() *http.Request{
				"replayable": func() *http.Request { return request(t, "POST", "/", body) },
				"stream": func() *http.Request {
					r := request(t, "POST", "/", "")
					r.Body, r.GetBody, r.ContentLength = &opaqueBody{Reader: strings.NewReader(body)}, nil, -1
					return r
				},
			}
			for kind, mk := range kinds {
				r := mk()
				// Twice, and through Key: every extractor sees the body
				// whole, and so does the upstream after them.
				parts, err := Key(r, []Extractor{e, e}, nil)
				if err != nil {
					t.Fatalf("%s: Key: %v", kind, err)
				}
				if len(parts) != 2 || parts[0] != parts[1] || !parts[0].HasValue {
					t.Errorf("%s: parts %v, want two equal parts with a value", kind, parts)
				}
				got, err := io.ReadAll(r.Body)
				if err != nil || string(got) != body {
					t.Errorf("%s: body after extraction = %q, %v; want %q", kind, got, err, body)
				}
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	body := `{"a": 1, "pad": "` + strings.Repeat("x", 100) + `"}`
	for name, e := range bodyExtractors(t, WithLimit(64)) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := request(t, "POST", "/", "")
			ob := &opaqueBody{Reader: strings.NewReader(body)}
			r.Body, r.GetBody, r.ContentLength = ob, nil, -1
			if _, err := e.Extract(r, nil); !errors.Is(err, ErrBodyTooLarge) {
				t.Fatalf("body of %d bytes over a limit of 64: err = %v, want ErrBodyTooLarge", len(body), err)
			}
			got, err := io.ReadAll(r.Body)
			if err != nil || string(got) != body {
				t.Errorf("body after a refused extraction = %q, %v; want it whole", got, err)
			}
			r.Body.Close()
			if !ob.closed {
				t.Errorf("closing the left body did not close the original")
			}
		})
	}
	// At the limit is fine; the default limit takes a large body.
	e := BodyHash(WithLimit(int64(len(body))))
	if _, err := e.Extract(request(t, "POST", "/", body), nil); err != nil {
		t.Errorf("body at the limit: %v", err)
	}
	big := strings.Repeat("y", 512<<10)
	checkParts(t, "BodyHash() of 512 KiB", extract(t, BodyHash(), request(t, "POST", "/", big)),
		[]hitbox.KeyPart{hitbox.Part("body", hashHex(big))})
	if _, err := BodyHash().Extract(request(t, "POST", "/", big+big+"z"), nil); !errors.Is(err, ErrBodyTooLarge) {
		t.Errorf("body over the default limit: err = %v, want ErrBodyTooLarge", err)
	}
}
