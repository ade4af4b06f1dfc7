package typed

import (
	"context"
	"errors"
	"fmt"
	"time"

	rediscache "github.com/go-redis/cache/v9"
	goredis "github.com/redis/go-redis/v9"

	"github.com/hitbox-go/hitbox/bench/internal/result"
)

// FleetOptions configures one member of the two-process stampede.
type FleetOptions struct {
	// Subject is result.Hitbox or "go-redis/cache Once".
	Subject string
	// RedisAddr is the shared redis-server.
	RedisAddr string
	// Start is when the callers start, in Unix nanoseconds.
	Start int64
	// Key is the cold key.
	Key string
}

// errMissing marks a subject whose hitbox part does not build.
var errMissing = errors.New("part missing")

// FleetMember runs one process's 1000 callers at o.Start and reports its
// upstream calls.
func FleetMember(ctx context.Context, o FleetOptions) (result.FleetReport, error) {
	up := &counter{}
	var get func() error
	switch o.Subject {
	case result.Hitbox:
		g, done, err := hitboxOverRedis(ctx, o.RedisAddr, o.Key, up)
		if errors.Is(err, errMissing) {
			return result.FleetReport{NA: err.Error()}, nil
		}
		if err != nil {
			return result.FleetReport{}, err
		}
		defer done()
		get = g
	case subjOnce:
		rdb := goredis.NewClient(&goredis.Options{Addr: o.RedisAddr})
		defer rdb.Close()
		if err := rdb.Ping(ctx).Err(); err != nil {
			return result.FleetReport{}, err
		}
		c := rediscache.New(&rediscache.Options{Redis: rdb, LocalCache: rediscache.NewTinyLFU(1000, time.Hour)})
		get = func() error { return once(ctx, c, o.Key, up) }
	default:
		return result.FleetReport{}, fmt.Errorf("unknown subject %q", o.Subject)
	}
	if wait := time.Until(time.Unix(0, o.Start)); wait > 0 {
		time.Sleep(wait)
	}
	if _, err := stampede(get); err != nil {
		return result.FleetReport{}, err
	}
	return result.FleetReport{Calls: up.calls.Load()}, nil
}
