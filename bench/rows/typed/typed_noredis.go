//go:build hbnoredis

package typed

import (
	"context"

	"github.com/hitbox-go/hitbox/bench/internal/measure"
	"github.com/hitbox-go/hitbox/bench/internal/result"
)

// runRedisCases reports the Redis cases as missing: this build has no
// Redis backend.
func runRedisCases(context.Context, measure.Env, []string) ([]result.Measure, error) {
	const row = "typed cache-aside hit"
	var out []result.Measure
	for _, n := range []string{"default options over Redis, struct", "default options over memory + Redis, struct"} {
		out = append(out, result.NA(row, n, "gets/s", result.PerSecond, result.Hitbox, "part missing: backend/redis does not build"))
	}
	return out, nil
}
