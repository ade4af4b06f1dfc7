package httpread_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/hitbox-go/hitbox/internal/httpread"
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestEvalJQ(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		expr   string
		body   string
		want   any
		wantOK bool
	}{
		{"string", `.s`, `{"s":"x"}`, "x", true},
		{"null", `.missing`, `{}`, nil, true},
		{"hash of a string is of its bytes", `.s | hash`, `{"s":"a@b.c"}`, sha("a@b.c"), true},
		{"hash of a number is of its text", `.n | hash`, `{"n":123}`, sha("123"), true},
		{"hash of a computed number", `(.n + 1) | hash`, `{"n":122}`, sha("123"), true},
		{"hash of an object is of its compact JSON", `.o | hash`, `{"o":{"b":1, "a":[true, null]}}`, sha(`{"a":[true,null],"b":1}`), true},
		{"hash of null", `.missing | hash`, `{}`, sha("null"), true},
		{"hash of a string is 64 hex digits", `.s | hash | length`, `{"s":""}`, 64, true},
		{"environment hidden", `($ENV | length) + (env | length)`, `{}`, 0, true},
		{"not JSON", `.`, `nope`, nil, false},
		{"error", `error("x")`, `{}`, nil, false},
		{"no result", `empty`, `{}`, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, err := httpread.CompileJQ(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := httpread.EvalJQ(context.Background(), code, []byte(tt.body), 0)
			if ok != tt.wantOK || got != tt.want {
				t.Errorf("EvalJQ(%s, %s) = %v, %v; want %v, %v", tt.expr, tt.body, got, ok, tt.want, tt.wantOK)
			}
		})
	}
	if v, ok := httpread.EvalJQ(context.Background(), nil, []byte(`{}`), 0); ok || v != nil {
		t.Errorf("EvalJQ(nil code) = %v, %v; want nil, false", v, ok)
	}
}

func TestCompileJQErrors(t *testing.T) {
	t.Parallel()
	for _, expr := range []string{`.[`, `nope(1)`, `$x`, `input`, `hash(1)`, ``, `  `} {
		_, err := httpread.CompileJQ(expr)
		if err == nil || !strings.Contains(err.Error(), "jq expression") {
			t.Errorf("CompileJQ(%q) error = %v, want one naming a jq expression", expr, err)
		}
	}
}

func TestDecodeJSON(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		body string
		ok   bool
	}{{`1`, true}, {` {"a":[1]} `, true}, {``, false}, {`{}{}`, false}, {`{`, false}} {
		if _, err := httpread.DecodeJSON([]byte(tt.body)); (err == nil) != tt.ok {
			t.Errorf("DecodeJSON(%q) error = %v, want ok %v", tt.body, err, tt.ok)
		}
	}
}
