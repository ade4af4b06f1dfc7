package rfc9111

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseTargeted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		lines []string
		want  Directives
		ok    bool
	}{
		{"RFC 9213 §2.1 integer and flag", []string{"max-age=60, public"}, Directives{MaxAge: Seconds(60), Public: true}, true},
		{"RFC 9213 §2.1 several lines", []string{"max-age=60", "no-store"}, Directives{MaxAge: Seconds(60), NoStore: true}, true},
		{"RFC 8941 §3.2 a repeated key keeps the last value", []string{"max-age=60, max-age=5"}, Directives{MaxAge: Seconds(5)}, true},
		{"RFC 8941 §3.3.6 ?0 is an absent flag", []string{"no-store=?0, max-age=5"}, Directives{MaxAge: Seconds(5)}, true},
		{"RFC 8941 §3.3.6 ?1 is a flag", []string{"no-store=?1"}, Directives{NoStore: true}, true},
		{"RFC 9213 §2.1 parameters ignored", []string{"max-age=60;foo=bar, private;x"}, Directives{MaxAge: Seconds(60), Private: true}, true},
		{"RFC 9213 §2.1 private field list as a string", []string{`private="set-cookie"`}, Directives{PrivateFields: []string{"Set-Cookie"}}, true},
		{"RFC 9213 §2.1 no-cache field list as an inner list", []string{`no-cache=("set-cookie" x-foo)`}, Directives{NoCacheFields: []string{"Set-Cookie", "X-Foo"}}, true},
		{"§4.2.1 negative integer is an invalid max-age", []string{"max-age=-1"}, Directives{MaxAge: InvalidDelta}, true},
		{"§4.2.1 decimal is an invalid max-age", []string{"max-age=1.5"}, Directives{MaxAge: InvalidDelta}, true},
		{"§4.2.1 string is an invalid max-age", []string{`max-age="60"`}, Directives{MaxAge: InvalidDelta}, true},
		{"RFC 9213 §2.1 unknown member kept", []string{"foo=bar"}, Directives{Extensions: []Extension{{"foo", "bar", true}}}, true},
		{"RFC 9213 §2.1 empty field is ignored", []string{""}, Directives{}, false},
		{"RFC 9213 §2.1 absent field is ignored", nil, Directives{}, false},
		{"RFC 8941 upper-case key is invalid", []string{"Max-Age=60"}, Directives{}, false},
		{"RFC 8941 trailing comma is invalid", []string{"max-age=60,"}, Directives{}, false},
		{"RFC 8941 unterminated string is invalid", []string{`private="x`}, Directives{}, false},
		{"RFC 8941 integer of 16 digits is invalid", []string{"max-age=1234567890123456"}, Directives{}, false},
		{"RFC 8941 junk after an item is invalid", []string{"max-age=60 public"}, Directives{}, false},
		{"RFC 8941 one invalid line spoils the field", []string{"max-age=60", "%"}, Directives{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := ParseTargeted(tc.lines)
			if ok != tc.ok {
				t.Fatalf("ParseTargeted(%q) ok = %v, want %v", tc.lines, ok, tc.ok)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseTargeted(%q) (-want +got):\n%s", tc.lines, diff)
			}
		})
	}
}

func TestParseResponseTargeted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		cfg       Config
		h         http.Header
		wantField string
		wantMax   Delta
	}{
		{"RFC 9213 §2.2 CDN-Cache-Control replaces Cache-Control in a shared cache", Config{},
			http.Header{"Cache-Control": {"max-age=5"}, "Cdn-Cache-Control": {"max-age=600"}}, "Cdn-Cache-Control", Seconds(600)},
		{"RFC 9213 §2.2 a private cache ignores targeted fields", Config{Private: true},
			http.Header{"Cache-Control": {"max-age=5"}, "Cdn-Cache-Control": {"max-age=600"}}, "Cache-Control", Seconds(5)},
		{"RFC 9213 §2.2 the configured field comes first", Config{Targeted: []string{"hitbox-cache-control"}},
			http.Header{"Cache-Control": {"max-age=5"}, "Cdn-Cache-Control": {"max-age=600"}, "Hitbox-Cache-Control": {"max-age=60"}}, "Hitbox-Cache-Control", Seconds(60)},
		{"RFC 9213 §2.2 an invalid targeted field falls through to the next", Config{Targeted: []string{"Hitbox-Cache-Control"}},
			http.Header{"Cache-Control": {"max-age=5"}, "Cdn-Cache-Control": {"max-age=600"}, "Hitbox-Cache-Control": {"MAX-AGE=60"}}, "Cdn-Cache-Control", Seconds(600)},
		{"RFC 9213 §2.1 an empty targeted field is ignored", Config{},
			http.Header{"Cache-Control": {"max-age=5"}, "Cdn-Cache-Control": {""}}, "Cache-Control", Seconds(5)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := tc.cfg.ParseResponse(200, tc.h)
			if r.Field != tc.wantField || r.CC.MaxAge != tc.wantMax {
				t.Errorf("ParseResponse(%v): field %q max-age %v, want %q %v", tc.h, r.Field, r.CC.MaxAge, tc.wantField, tc.wantMax)
			}
		})
	}
}
