package extract

import (
	"testing"
)

func TestTransformsApply(t *testing.T) {
	t.Parallel()
	const helloHash = "185f8db32271fe25f561a6fc938b2e264306ec304eda518007d1764826381969" // sha256("Hello")
	tests := []struct {
		name string
		ts   Transforms
		in   string
		want string
	}{
		{"none", nil, "AbC", "AbC"},
		{"lowercase", Transforms{{Kind: TransformLowercase}}, "AbC ÄÖ", "abc äö"},
		{"uppercase", Transforms{{Kind: TransformUppercase}}, "AbC äö", "ABC ÄÖ"},
		{"hash", Transforms{{Kind: TransformHash}}, "Hello", helloHash},
		{"hash of empty", Transforms{{Kind: TransformHash}}, "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"truncate", Transforms{{Kind: TransformTruncate, N: 3}}, "abcdef", "abc"},
		{"truncate longer than value", Transforms{{Kind: TransformTruncate, N: 10}}, "abc", "abc"},
		{"truncate zero", Transforms{{Kind: TransformTruncate, N: 0}}, "abc", ""},
		{"truncate counts characters", Transforms{{Kind: TransformTruncate, N: 2}}, "äöü", "äö"},
		{"truncate invalid utf-8 byte counts one", Transforms{{Kind: TransformTruncate, N: 2}}, "\xffab", "\xffa"},
		{"in order: lowercase then hash", Transforms{{Kind: TransformLowercase}, {Kind: TransformHash}}, "HELLO", hashHex("hello")},
		{"in order: hash then truncate", Transforms{{Kind: TransformHash}, {Kind: TransformTruncate, N: 8}}, "Hello", helloHash[:8]},
		{"in order: truncate then hash", Transforms{{Kind: TransformTruncate, N: 4}, {Kind: TransformHash}}, "Hello", hashHex("Hell")},
		{"invalid steps skipped", Transforms{{}, {Kind: TransformTruncate, N: -1}, {Kind: TransformUppercase}}, "a", "A"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.ts.Apply(tt.in); got != tt.want {
				t.Errorf("%v.Apply(%q) = %q, want %q", tt.ts, tt.in, got, tt.want)
			}
		})
	}
}

func TestParseTransformKind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want TransformKind
	}{
		{"lowercase", TransformLowercase},
		{"Lowercase", TransformLowercase},
		{"UPPERCASE", TransformUppercase},
		{"hash", TransformHash},
		{"Hash", TransformHash},
		{"truncate", TransformTruncate},
		{"Truncate", TransformTruncate},
	}
	for _, tt := range tests {
		got, err := ParseTransformKind(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseTransformKind(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "sha256", "lower", "hash "} {
		if _, err := ParseTransformKind(bad); err == nil {
			t.Errorf("ParseTransformKind(%q): no error", bad)
		}
	}
}

func TestTransformString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		t    Transform
		want string
	}{
		{Transform{Kind: TransformLowercase}, "lowercase"},
		{Transform{Kind: TransformHash}, "hash"},
		{Transform{Kind: TransformTruncate, N: 5}, "truncate 5"},
		{Transform{Kind: 42}, "TransformKind(42)"},
	}
	for _, tt := range tests {
		if got := tt.t.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.t, got, tt.want)
		}
	}
}

func TestPartTransforms(t *testing.T) {
	t.Parallel()
	up := Transforms{{Kind: TransformUppercase}}
	list := PartTransforms{All: up}
	if got := list.For("any").Apply("a"); got != "A" {
		t.Errorf("list form For(any).Apply(a) = %q, want A", got)
	}
	byPart := PartTransforms{All: up, ByPart: map[string]Transforms{"token": {{Kind: TransformHash}}}}
	if got := byPart.For("token").Apply("x"); got != hashHex("x") {
		t.Errorf("map form For(token).Apply(x) = %q, want its hash", got)
	}
	if got := byPart.For("other").Apply("x"); got != "x" {
		t.Errorf("map form For(other).Apply(x) = %q, want x (parts not in the map keep their value)", got)
	}
	bad := PartTransforms{ByPart: map[string]Transforms{"a": {{Kind: TransformTruncate, N: -2}}}}
	if err := bad.Validate(); err == nil {
		t.Errorf("Validate of a negative truncate: no error")
	}
	if err := byPart.Validate(); err != nil {
		t.Errorf("Validate(%v): %v", byPart, err)
	}
}

func TestTransformsString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p    PartTransforms
		want string
	}{
		{PartTransforms{}, "[]"},
		{PartTransforms{All: Transforms{{Kind: TransformLowercase}, {Kind: TransformTruncate, N: 8}}}, "[lowercase truncate 8]"},
		{PartTransforms{ByPart: map[string]Transforms{}}, "{}"},
		{PartTransforms{All: Transforms{{Kind: TransformHash}}, ByPart: map[string]Transforms{
			"user": {{Kind: TransformUppercase}}, "email": {{Kind: TransformLowercase}, {Kind: TransformHash}}}},
			"{email: [lowercase hash], user: [uppercase]}"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.p, got, tt.want)
		}
	}
}
