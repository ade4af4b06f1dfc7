//go:build hbnoredis

// Package redisdown is the harness's "Redis down" row. This build has no
// Redis backend, so the row says so.
package redisdown

import (
	"context"

	"github.com/hitbox-go/hitbox/bench/internal/measure"
	"github.com/hitbox-go/hitbox/bench/internal/result"
)

// Run reports the row as missing.
func Run(context.Context, measure.Env) ([]result.Measure, error) {
	return []result.Measure{result.NA("Redis down", "", "errors seen by callers", result.Count, result.Hitbox,
		"part missing: backend/redis does not build")}, nil
}
