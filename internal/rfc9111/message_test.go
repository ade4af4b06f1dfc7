package rfc9111

import (
	"math"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"zero value", Config{}, true},
		{"typical", Config{Heuristic: 0.1, HeuristicMax: time.Hour, MaxTTL: time.Minute, Targeted: []string{"Hitbox-Cache-Control"}}, true},
		{"heuristic above 1", Config{Heuristic: 1.5}, false},
		{"negative heuristic", Config{Heuristic: -0.1}, false},
		{"NaN heuristic", Config{Heuristic: math.NaN()}, false},
		{"negative heuristic cap", Config{HeuristicMax: -time.Second}, false},
		{"negative max ttl", Config{MaxTTL: -time.Second}, false},
		{"targeted name with a space", Config{Targeted: []string{"My Cache-Control"}}, false},
		{"empty targeted name", Config{Targeted: []string{""}}, false},
	} {
		err := tc.cfg.Validate()
		if (err == nil) != tc.ok || (err != nil && strings.Contains(err.Error(), "rfc9111")) {
			t.Errorf("%s: Validate() = %v, want ok %v (errors without the internal package's name)", tc.name, err, tc.ok)
		}
	}
}

func TestParseRequest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		h             http.Header
		noCache, auth bool
	}{
		{"§5.4 Pragma: no-cache alone", h("Pragma", "no-cache"), true, false},
		{"§5.4 Pragma: no-cache among other elements, any case", h("Pragma", "x-foo, No-Cache"), true, false},
		{"§5.4 Pragma ignored beside Cache-Control", h("Pragma", "no-cache", "Cache-Control", "max-age=5"), false, false},
		{"§5.4 Pragma ignored beside an empty Cache-Control", h("Pragma", "no-cache", "Cache-Control", ""), false, false},
		{"§5.2.1.4 Cache-Control no-cache", h("Cache-Control", "no-cache"), true, false},
		{"§3.5 Authorization noticed", h("Authorization", "Bearer x"), false, true},
		{"no fields", nil, false, false},
	} {
		r := ParseRequest(http.MethodGet, tc.h)
		if r.NoCache != tc.noCache || r.Authorization != tc.auth || r.Method != http.MethodGet {
			t.Errorf("%s: ParseRequest(%v) = NoCache %v Authorization %v Method %q, want %v %v GET", tc.name, tc.h, r.NoCache, r.Authorization, r.Method, tc.noCache, tc.auth)
		}
	}
}
