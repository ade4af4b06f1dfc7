package rfc9111

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/pquerna/cachecontrol/cacheobject"
)

// The oracle is github.com/pquerna/cachecontrol: it decides nothing here,
// it only cross-checks the parser on headers where both read RFC 9111 the
// same way. TestOracleDifferences lists where we deliberately differ.

// oracleResponse is what both parsers say of a response field, in the
// oracle's terms (-1: absent).
type oracleResponse struct {
	NoStore, NoCache, Private, Public, MustRevalidate, ProxyRevalidate, NoTransform, Immutable bool
	NoCacheFields, PrivateFields                                                               []string
	MaxAge, SMaxAge, SWR, SIE                                                                  int64
}

func fromOracle(o *cacheobject.ResponseCacheDirectives) oracleResponse {
	fields := func(f cacheobject.FieldNames) []string {
		var out []string
		for k := range f {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	return oracleResponse{
		NoStore: o.NoStore, NoCache: o.NoCachePresent && len(o.NoCache) == 0, Private: o.PrivatePresent && len(o.Private) == 0,
		Public: o.Public, MustRevalidate: o.MustRevalidate, ProxyRevalidate: o.ProxyRevalidate,
		NoTransform: o.NoTransform, Immutable: o.Immutable,
		NoCacheFields: fields(o.NoCache), PrivateFields: fields(o.Private),
		MaxAge: int64(o.MaxAge), SMaxAge: int64(o.SMaxAge), SWR: int64(o.StaleWhileRevalidate), SIE: int64(o.StaleIfError),
	}
}

// sec is a Delta in the oracle's terms: -1 when absent.
func sec(x Delta) int64 {
	if !x.Present() {
		return -1
	}
	return x.Seconds()
}

func fromOurs(d Directives) oracleResponse {
	sorted := func(f []string) []string {
		if len(f) == 0 {
			return nil
		}
		f = slices.Clone(f)
		slices.Sort(f)
		return slices.Compact(f)
	}
	return oracleResponse{
		NoStore: d.NoStore, NoCache: d.NoCache, Private: d.Private, Public: d.Public,
		MustRevalidate: d.MustRevalidate, ProxyRevalidate: d.ProxyRevalidate, NoTransform: d.NoTransform, Immutable: d.Immutable,
		NoCacheFields: sorted(d.NoCacheFields), PrivateFields: sorted(d.PrivateFields),
		MaxAge: sec(d.MaxAge), SMaxAge: sec(d.SMaxAge), SWR: sec(d.StaleWhileRevalidate), SIE: sec(d.StaleIfError),
	}
}

// randomResponseField builds a Cache-Control value both parsers must read
// alike: each directive at most once, valid arguments, names in random
// case, tokens or quoted-strings.
func randomResponseField(r *rand.Rand) string {
	flags := []string{"no-store", "no-cache", "private", "public", "must-revalidate", "proxy-revalidate", "no-transform", "immutable", "x-ext", "community=\"UCI\""}
	deltas := []string{"max-age", "s-maxage", "stale-while-revalidate", "stale-if-error"}
	fieldNames := []string{"Set-Cookie", "x-foo", "Authorization-Info"}
	var parts []string
	for _, f := range flags {
		if r.IntN(3) == 0 {
			parts = append(parts, f)
		}
	}
	for _, d := range deltas {
		switch r.IntN(4) {
		case 0:
			parts = append(parts, fmt.Sprintf("%s=%d", d, r.IntN(1<<20)))
		case 1:
			parts = append(parts, fmt.Sprintf("%s=\"%d\"", d, r.IntN(100)))
		}
	}
	if !slices.Contains(parts, "no-cache") && r.IntN(4) == 0 {
		parts = append(parts, fmt.Sprintf("no-cache=%q", strings.Join(fieldNames[:1+r.IntN(len(fieldNames))], ", ")))
	}
	if !slices.Contains(parts, "private") && r.IntN(4) == 0 {
		parts = append(parts, fmt.Sprintf("private=%q", fieldNames[r.IntN(len(fieldNames))]))
	}
	r.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
	for i, p := range parts {
		if r.IntN(3) == 0 {
			name, rest, _ := strings.Cut(p, "=")
			if rest != "" {
				rest = "=" + rest
			}
			parts[i] = strings.ToUpper(name) + rest
		}
	}
	sep := []string{",", ", ", " , ", ",\t"}[r.IntN(4)]
	return strings.Join(parts, sep)
}

func TestOracleAgrees(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(9111, 5861))
	for range 5000 {
		field := randomResponseField(r)
		o, err := cacheobject.ParseResponseCacheControl(field)
		if err != nil {
			t.Fatalf("oracle rejects %q: %v (the generator must make valid fields)", field, err)
		}
		want := fromOracle(o)
		got := fromOurs(ParseCacheControl([]string{field}))
		if !equalOracle(want, got) {
			t.Fatalf("ParseCacheControl(%q):\n got  %+v\n oracle %+v", field, got, want)
		}
	}
}

func equalOracle(a, b oracleResponse) bool {
	return fmt.Sprintf("%+v", a) == fmt.Sprintf("%+v", b)
}

// TestOracleRequestAgrees compares the request directives on a fixed set.
func TestOracleRequestAgrees(t *testing.T) {
	t.Parallel()
	for _, field := range []string{
		"no-cache", "no-store", "max-age=0", "max-age=60, max-stale", "max-stale=30", "min-fresh=5",
		"only-if-cached", "no-transform", "NO-CACHE, Max-Age=\"7\"", "max-stale, only-if-cached, min-fresh=1",
	} {
		o, err := cacheobject.ParseRequestCacheControl(field)
		if err != nil {
			t.Fatalf("oracle rejects %q: %v", field, err)
		}
		d := ParseCacheControl([]string{field})
		got := fmt.Sprint(d.NoCache, d.NoStore, d.NoTransform, d.OnlyIfCached, d.MaxStaleAny || d.MaxStale.Present(), sec(d.MaxAge), sec(d.MaxStale), sec(d.MinFresh))
		want := fmt.Sprint(o.NoCache, o.NoStore, o.NoTransform, o.OnlyIfCached, o.MaxStaleSet || o.MaxStale >= 0, o.MaxAge, o.MaxStale, o.MinFresh)
		if got != want {
			t.Errorf("ParseCacheControl(%q) request view = %s, oracle %s", field, got, want)
		}
	}
}

// TestOracleDifferences pins where we deliberately read a field otherwise
// than the oracle, and why, so the list stays true.
func TestOracleDifferences(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, field string
		oracleErr   bool   // the oracle rejects the whole field
		oracle      string // else what the oracle reads (fmt of oracleResponse field)
		ours        string
		get         func(oracleResponse) string
	}{
		{name: "§1.2.2 overflow: 2^31, the oracle 2^31-1", field: "max-age=9999999999",
			oracle: "2147483647", ours: "2147483648", get: func(o oracleResponse) string { return fmt.Sprint(o.MaxAge) }},
		{name: "§4.2.1 duplicate max-age: invalid (stale), the oracle keeps the last", field: "max-age=60, max-age=3600",
			oracle: "3600", ours: "0", get: func(o oracleResponse) string { return fmt.Sprint(o.MaxAge) }},
		{name: "§4.2.1 negative max-age: invalid (stale), the oracle rejects the field", field: "max-age=-1, public", oracleErr: true,
			ours: "0", get: func(o oracleResponse) string { return fmt.Sprint(o.MaxAge) }},
		{name: "§4.2.1 max-age without value: invalid (stale), the oracle rejects the field", field: "max-age, public", oracleErr: true,
			ours: "0", get: func(o oracleResponse) string { return fmt.Sprint(o.MaxAge) }},
		{name: "§5.2 a flag's argument is ignored, the oracle rejects the field", field: "no-store=1", oracleErr: true,
			ours: "true", get: func(o oracleResponse) string { return fmt.Sprint(o.NoStore) }},
		{name: "§5.2.2.4 unterminated no-cache list: unqualified no-cache, the oracle rejects the field", field: `no-cache="Set-Cookie`, oracleErr: true,
			ours: "true", get: func(o oracleResponse) string { return fmt.Sprint(o.NoCache) }},
		{name: "§5.2.2.4 unquoted field list ends at the comma, the oracle runs on to the next space", field: "no-cache=Set-Cookie,max-age=5",
			oracle: "-1", ours: "5", get: func(o oracleResponse) string { return fmt.Sprint(o.MaxAge) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o, err := cacheobject.ParseResponseCacheControl(tc.field)
			if (err != nil) != tc.oracleErr {
				t.Fatalf("oracle on %q: err %v, want error %v", tc.field, err, tc.oracleErr)
			}
			if err == nil {
				if got := tc.get(fromOracle(o)); got != tc.oracle {
					t.Errorf("oracle on %q = %s, want %s (has the oracle changed?)", tc.field, got, tc.oracle)
				}
			}
			ours := fromOurs(ParseCacheControl([]string{tc.field}))
			if tc.get(ours) != tc.ours {
				// An invalid delta reads as 0 seconds in fromOurs.
				t.Errorf("ParseCacheControl(%q) = %s, want %s", tc.field, tc.get(ours), tc.ours)
			}
		})
	}
}
