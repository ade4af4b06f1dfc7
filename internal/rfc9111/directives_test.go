package rfc9111

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseCacheControl(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		lines []string
		want  Directives
	}{
		{"§5.2 empty field", []string{""}, Directives{}},
		{"§5.2 no field", nil, Directives{}},
		{"§5.2.2.1 max-age", []string{"max-age=60"}, Directives{MaxAge: Seconds(60)}},
		{"§5.2 names are case-insensitive", []string{"MAX-AGE=60, No-Store"}, Directives{MaxAge: Seconds(60), NoStore: true}},
		{"§5.2 quoted-string argument accepted for delta-seconds", []string{`max-age="60"`}, Directives{MaxAge: Seconds(60)}},
		{"§1.2.2 leading zeros", []string{"max-age=0060"}, Directives{MaxAge: Seconds(60)}},
		{"§1.2.2 overflow is 2^31", []string{"max-age=99999999999999999999999"}, Directives{MaxAge: Seconds(MaxDeltaSeconds)}},
		{"§1.2.2 exactly 2^31", []string{"s-maxage=2147483648"}, Directives{SMaxAge: Seconds(MaxDeltaSeconds)}},
		{"§4.2.1 negative max-age is invalid", []string{"max-age=-1"}, Directives{MaxAge: InvalidDelta}},
		{"§4.2.1 decimal max-age is invalid", []string{"max-age=1.5"}, Directives{MaxAge: InvalidDelta}},
		{"§4.2.1 max-age without value is invalid", []string{"max-age"}, Directives{MaxAge: InvalidDelta}},
		{"§4.2.1 max-age with junk is invalid", []string{"max-age=60a"}, Directives{MaxAge: InvalidDelta}},
		{"§4.2.1 space around = is invalid", []string{"max-age =60, public"}, Directives{MaxAge: InvalidDelta, Public: true}},
		{"§4.2.1 duplicate max-age with another value is invalid", []string{"max-age=60, max-age=3600"}, Directives{MaxAge: InvalidDelta}},
		{"§4.2.1 duplicate max-age across lines is invalid", []string{"max-age=60", "max-age=30"}, Directives{MaxAge: InvalidDelta}},
		{"§4.2.1 duplicate max-age with the same value stays", []string{"max-age=60, max-age=60"}, Directives{MaxAge: Seconds(60)}},
		{"§5.2 several lines are one list", []string{"public", "max-age=5"}, Directives{Public: true, MaxAge: Seconds(5)}},
		{"§5.2 empty elements and whitespace", []string{" ,, public ,\tmax-age=5 , "}, Directives{Public: true, MaxAge: Seconds(5)}},
		{"§5.2.2.4 no-cache unqualified", []string{"no-cache"}, Directives{NoCache: true}},
		{"§5.2.2.4 no-cache field list", []string{`no-cache="Set-Cookie, x-foo"`}, Directives{NoCacheFields: []string{"Set-Cookie", "X-Foo"}}},
		{"§5.2.2.4 no-cache token field", []string{`no-cache=set-cookie`}, Directives{NoCacheFields: []string{"Set-Cookie"}}},
		{"§5.2.2.4 no-cache empty list is unqualified", []string{`no-cache=""`}, Directives{NoCache: true}},
		{"§5.2.2.4 no-cache unterminated list is unqualified", []string{`no-cache="Set-Cookie, max-age=5`}, Directives{NoCache: true}},
		{"§5.2.2.7 private field list", []string{`private="Authorization-Info", max-age=5`}, Directives{PrivateFields: []string{"Authorization-Info"}, MaxAge: Seconds(5)}},
		{"§5.2.2.7 private and qualified private", []string{`private, private="X-A"`}, Directives{Private: true, PrivateFields: []string{"X-A"}}},
		{"§5.2.2 flags", []string{"must-revalidate, proxy-revalidate, must-understand, no-transform, public, immutable"},
			Directives{MustRevalidate: true, ProxyRevalidate: true, MustUnderstand: true, NoTransform: true, Public: true, Immutable: true}},
		{"§5.2.2 a flag's argument is ignored", []string{"no-store=yes"}, Directives{NoStore: true}},
		{"§5.2.1 request directives", []string{"max-stale, min-fresh=10, only-if-cached, no-cache"},
			Directives{MaxStaleAny: true, MinFresh: Seconds(10), OnlyIfCached: true, NoCache: true}},
		{"§5.2.1.2 max-stale with a value", []string{"max-stale=30"}, Directives{MaxStale: Seconds(30)}},
		{"RFC 5861 stale windows", []string{"stale-while-revalidate=30, stale-if-error=600"},
			Directives{StaleWhileRevalidate: Seconds(30), StaleIfError: Seconds(600)}},
		{"§5.2.3 extensions kept", []string{`community="UCI", Foo, bar=baz`},
			Directives{Extensions: []Extension{{"community", "UCI", true}, {"foo", "", false}, {"bar", "baz", true}}}},
		{"§5.2.3 quoted-pair in an extension", []string{`x="a\"b\\c", max-age=1`},
			Directives{Extensions: []Extension{{"x", `a"b\c`, true}}, MaxAge: Seconds(1)}},
		{"§5.2 comma inside quotes does not split", []string{`x="a, max-age=5"`}, Directives{Extensions: []Extension{{"x", "a, max-age=5", true}}}},
		{"§5.2 garbage element skipped", []string{`"junk", max-age=5, =7`}, Directives{MaxAge: Seconds(5)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := ParseCacheControl(tc.lines)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseCacheControl(%q) (-want +got):\n%s", tc.lines, diff)
			}
			again := ParseCacheControl([]string{got.String()})
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("ParseCacheControl(%q) does not read back its String %q (-first +second):\n%s", tc.lines, got.String(), diff)
			}
		})
	}
}

func TestDirectivesString(t *testing.T) {
	t.Parallel()
	d := Directives{NoStore: true, MaxAge: Seconds(5), SMaxAge: InvalidDelta, PrivateFields: []string{"A", "B"},
		Extensions: []Extension{{"x", "a b", true}, {"y", "", false}}}
	want := `no-store, private="A, B", max-age=5, s-maxage=invalid, x="a b", y`
	if got := d.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestDelta(t *testing.T) {
	t.Parallel()
	var zero Delta
	if zero.Present() || zero.Valid() || zero.Seconds() != 0 || zero.String() != "" {
		t.Errorf("zero Delta: Present %v Valid %v Seconds %d String %q, want unset", zero.Present(), zero.Valid(), zero.Seconds(), zero.String())
	}
	if !InvalidDelta.Present() || InvalidDelta.Valid() || InvalidDelta.Duration() != 0 {
		t.Errorf("InvalidDelta: Present %v Valid %v Duration %v", InvalidDelta.Present(), InvalidDelta.Valid(), InvalidDelta.Duration())
	}
	if got := Seconds(-5).Seconds(); got != 0 {
		t.Errorf("Seconds(-5).Seconds() = %d, want 0", got)
	}
	if got := Seconds(1 << 40).Seconds(); got != MaxDeltaSeconds {
		t.Errorf("Seconds(1<<40).Seconds() = %d, want 2^31", got)
	}
}

func TestParseCacheControlAllocs(t *testing.T) {
	lines := []string{"public, max-age=60, stale-while-revalidate=30"}
	if n := testing.AllocsPerRun(100, func() { _ = ParseCacheControl(lines) }); n != 0 {
		t.Errorf("ParseCacheControl(%q) allocates %v times, want 0", lines, n)
	}
}

func BenchmarkParseCacheControl(b *testing.B) {
	lines := []string{"public, max-age=60, s-maxage=120, stale-while-revalidate=30"}
	b.ReportAllocs()
	for b.Loop() {
		_ = ParseCacheControl(lines)
	}
}
