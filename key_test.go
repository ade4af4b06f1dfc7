package hitbox

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestKeyEncode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		key  Key
		want string
	}{
		{"no parts", Key{}, "v0:"},
		{"defaults", Key{Parts: []KeyPart{Part("method", "GET"), Part("path", "/v1/books")}}, "v0:method=GET&path=/v1/books"},
		{"absent vs empty", Key{Parts: []KeyPart{AbsentPart("X-Tenant"), Part("q", "")}}, "v0:X-Tenant&q="},
		{"reserved bytes escaped", Key{Parts: []KeyPart{Part("a&b", "c=d:e%f g")}}, "v0:a%26b=c%3Dd%3Ae%25f%20g"},
		{"namespace and version", Key{Namespace: "api:v", Version: 7, Parts: []KeyPart{Part("k", "v")}}, "api%3Av:v7:k=v"},
		{"empty name", Key{Parts: []KeyPart{AbsentPart("")}}, "v0:%"},
		{"empty name with value", Key{Parts: []KeyPart{Part("", "")}}, "v0:%="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.key.String(); got != tt.want {
				t.Errorf("%+v.String() = %q, want %q", tt.key, got, tt.want)
			}
			for _, f := range []KeyFormat{KeyURLEncoded, KeyBinary} {
				got, err := ParseKey(tt.key.Encode(f))
				if err != nil {
					t.Fatalf("ParseKey(Encode(%v)) error: %v", f, err)
				}
				if diff := cmp.Diff(tt.key, got, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("ParseKey(Encode(%v)) mismatch (-want +got):\n%s", f, diff)
				}
			}
		})
	}
}

func TestParseKeyRejects(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"", "method=GET", "x:", "v:", "v01:", "v4294967296:", "vx:", ":v0:", "v0:a b", "v0:%2", "v0:%zz",
		"v0:%61", "v0:%2a", "v0:a&&b", "v0:a=b=c", "a:b:c:d", "\x00", "\x00B", "\x00B\x00\x00\x01",
		"\x00B\x00\x00\x00junk", "\x00B\x80\x00\x00\x00",
	} {
		if k, err := ParseKey(s); err == nil {
			t.Errorf("ParseKey(%q) = %+v, want error", s, k)
		} else if !errors.Is(err, ErrKeySyntax) {
			t.Errorf("ParseKey(%q) error %v does not wrap ErrKeySyntax", s, err)
		}
	}
}

func TestKeyDistinct(t *testing.T) {
	t.Parallel()
	keys := []Key{
		{},
		{Parts: []KeyPart{AbsentPart("")}},
		{Parts: []KeyPart{Part("", "")}},
		{Parts: []KeyPart{AbsentPart(""), AbsentPart("")}},
		{Parts: []KeyPart{AbsentPart("a")}},
		{Parts: []KeyPart{Part("a", "")}},
		{Parts: []KeyPart{Part("a", "b&c=d")}},
		{Parts: []KeyPart{Part("a", "b"), Part("c", "d")}},
		{Namespace: "a", Parts: []KeyPart{AbsentPart("v0")}},
		{Version: 1},
		{Namespace: "v0"},
	}
	for _, f := range []KeyFormat{KeyURLEncoded, KeyBinary} {
		seen := map[string]int{}
		for i, k := range keys {
			s := k.Encode(f)
			if j, dup := seen[s]; dup {
				t.Errorf("%v: keys %d and %d both encode as %q", f, j, i, s)
			}
			seen[s] = i
		}
	}
}

// FuzzKey checks that encoding round-trips and that every string ParseKey
// accepts re-encodes to itself, so two different keys never share an
// encoding.
func FuzzKey(f *testing.F) {
	f.Add("ns", uint32(1), "method", "GET", true, "X-Tenant", "", false)
	f.Add("", uint32(0), "", "", false, "&=", "%:", true)
	f.Fuzz(func(t *testing.T, ns string, v uint32, n1, v1 string, h1 bool, n2, v2 string, h2 bool) {
		k := Key{Namespace: ns, Version: v, Parts: []KeyPart{{n1, v1, h1}, {n2, v2, h2}}}
		if !h1 {
			k.Parts[0].Value = ""
		}
		if !h2 {
			k.Parts[1].Value = ""
		}
		for _, f := range []KeyFormat{KeyURLEncoded, KeyBinary} {
			s := k.Encode(f)
			got, err := ParseKey(s)
			if err != nil {
				t.Fatalf("ParseKey(%q): %v", s, err)
			}
			if !cmp.Equal(k, got, cmpopts.EquateEmpty()) {
				t.Fatalf("round trip of %+v via %q gave %+v", k, s, got)
			}
		}
		// Arbitrary strings: accepted ones must be canonical.
		for _, s := range []string{ns, n1 + v1, "\x00B" + n2} {
			if got, err := ParseKey(s); err == nil {
				f := KeyURLEncoded
				if len(s) > 0 && s[0] == 0 {
					f = KeyBinary
				}
				if re := got.Encode(f); re != s {
					t.Fatalf("ParseKey(%q) = %+v re-encodes as %q", s, got, re)
				}
			}
		}
	})
}
