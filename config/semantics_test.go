package config

import (
	"strings"
	"testing"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/httpcache"
	"github.com/hitbox-go/hitbox/internal/rfc9111"
)

const semanticsFile = `upstream: http://127.0.0.1:3000
semantics: Rfc9111
rfc9111: {targeted_fields: [Hitbox-Cache-Control], strip_targeted: true, heuristic: {fraction: 0.1}}
endpoints:
  - name: news
    policy: {Enabled: {ttl: 60}}
  - name: books
    semantics: Hitbox
    policy: {Enabled: {ttl: 30}}
  - name: forever
    policy: {Enabled: {}}
`

// TestSemanticsEndpointWins: the file-level semantics reaches the
// endpoints that set none, an endpoint's own wins, and BuildEndpoints
// hands each to httpcache.
func TestSemanticsEndpointWins(t *testing.T) {
	f, _, err := Parse("hitboxd.yaml", []byte(semanticsFile))
	if err != nil {
		t.Fatal(err)
	}
	want := []httpcache.Semantics{httpcache.SemanticsRfc9111, httpcache.SemanticsHitbox, httpcache.SemanticsRfc9111}
	eps, err := f.BuildEndpoints()
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range want {
		if f.Endpoints[i].Semantics != w || eps[i].Semantics != w {
			t.Errorf("endpoint %d: semantics %v, built %v; want %v", i, f.Endpoints[i].Semantics, eps[i].Semantics, w)
		}
	}
	o := f.Rfc9111
	if f.Semantics != httpcache.SemanticsRfc9111 || len(o.TargetedFields) != 1 || o.TargetedFields[0] != "Hitbox-Cache-Control" ||
		!o.StripTargeted || o.HeuristicFraction != 0.1 || o.HeuristicMax != rfc9111.DefaultHeuristicMax || o.StoreSetCookie {
		t.Errorf("file: semantics %v, rfc9111 %+v", f.Semantics, o)
	}
	checkBuild(t, f)
	// The options are valid for httpcache: a Middleware accepts them.
	if _, err := httpcache.Middleware(newTestCache(t), eps, f.MiddlewareOptions()...); err != nil {
		t.Fatalf("Middleware with the file's options: %v", err)
	}
}

// TestSemanticsDefaultHitbox: a file without semantics is Hitbox
// everywhere, with the Rfc9111 knobs at their defaults.
func TestSemanticsDefaultHitbox(t *testing.T) {
	f, _, err := Parse("hitboxd.yaml", []byte("upstream: http://127.0.0.1:3000\nendpoints: [{name: a}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if f.Semantics != httpcache.SemanticsHitbox || f.Endpoints[0].Semantics != httpcache.SemanticsHitbox {
		t.Errorf("semantics: file %v, endpoint %v; want Hitbox", f.Semantics, f.Endpoints[0].Semantics)
	}
	if o := f.Rfc9111; o.TargetedFields != nil || o.StripTargeted || o.HeuristicFraction != 0 || o.HeuristicMax != 0 || o.StoreSetCookie {
		t.Errorf("rfc9111 = %+v, want the zero value", o)
	}
}

// TestEndpointMode: the phrase hitboxd check prints for each endpoint.
func TestEndpointMode(t *testing.T) {
	f, _, err := Parse("hitboxd.yaml", []byte(semanticsFile))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{
		"semantics Rfc9111 (freshness from the origin, capped by ttl 1m0s",
		"semantics Hitbox (the predicates decide, Cache-Control is not read; ttl 30s)",
		"semantics Rfc9111 (freshness from the origin, uncapped: no ttl",
	} {
		if got := f.Endpoints[i].Mode(); !strings.HasPrefix(got, want) {
			t.Errorf("endpoint %d: Mode() = %q, want prefix %q", i, got, want)
		}
	}
	off := &Endpoint{Endpoint: httpcache.Endpoint{Semantics: httpcache.SemanticsHitbox, Policy: hitbox.Disabled()}}
	if got := off.Mode(); !strings.Contains(got, "Disabled") {
		t.Errorf("disabled endpoint: Mode() = %q, want it to say Disabled", got)
	}
}

// TestHeuristicFractionOutOfRange checks that a fraction the file cannot
// hold as a number (an integer beyond int64) is refused, not read as 0.
func TestHeuristicFractionOutOfRange(t *testing.T) {
	for _, v := range []string{"2", "-1", "18446744073709551615", ".nan"} {
		_, _, err := Parse("hitboxd.yaml", []byte("upstream: http://127.0.0.1:3000\nrfc9111: {heuristic: {fraction: "+v+", max: 1h}}\nendpoints: [{name: a}]\n"))
		if err == nil || !strings.Contains(err.Error(), "out of range") {
			t.Errorf("fraction %s: err = %v, want out of range", v, err)
		}
	}
}
