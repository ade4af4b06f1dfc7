//go:build hbnoredis

// Package composition is the harness's composition rows. This build has no
// Redis backend (hbbench adds the hbnoredis tag when
// github.com/hitbox-go/hitbox/backend/redis does not build), so every line
// says so.
package composition

import (
	"context"

	"github.com/hitbox-go/hitbox/bench/internal/measure"
	"github.com/hitbox-go/hitbox/bench/internal/result"
)

// Run reports every composition line as missing.
func Run(context.Context, measure.Env) ([]result.Measure, error) {
	var out []result.Measure
	for _, cas := range []string{"L1 hit", "L2 hit", "miss and fill"} {
		for _, metric := range []string{"p50", "p99"} {
			out = append(out, result.NA("composition "+cas, "1 KiB, memory over Redis on loopback", metric,
				result.Nanos, result.Hitbox, "part missing: backend/redis does not build"))
		}
	}
	return out, nil
}
