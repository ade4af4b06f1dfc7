package redis

import (
	"context"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hitbox-go/hitbox/backend"
)

// raiseMarks raises the marks of KEYS[1], a hash of tag → Unix nanoseconds
// in decimal, to ARGV[1] for each tag in ARGV[2:], never lowering one. The
// marks are compared as decimal strings (a longer one is larger), since
// Lua's numbers are doubles that cannot hold nanoseconds since 1970
// exactly.
var raiseMarks = goredis.NewScript(`
local at = ARGV[1]
for i = 2, #ARGV do
  local old = redis.call('HGET', KEYS[1], ARGV[i])
  if not old or #old < #at or (#old == #at and old < at) then
    redis.call('HSET', KEYS[1], ARGV[i], at)
  end
end
return 0
`)

// markString is at in Unix nanoseconds, in decimal: times before 1970
// count as 1970 (0), so that every mark compares as a plain decimal.
func markString(at time.Time) string {
	return strconv.FormatInt(max(backend.MarkNano(at), 0), 10)
}

// InvalidateTags records at as the invalidation time of each of tags, as
// [backend.Tagger] says, in the hash [Options.TagsKey] shared by every
// instance on this Redis: a script raises each tag's mark in one round
// trip, never lowering it. Marks are kept to the nanosecond (times before
// 1970 count as 1970) and are not pruned: one hash field per tag ever
// invalidated. With [Options.Channel] set, it then announces the marks, so
// that the L1 of every instance subscribed with [Backend.Subscribe] records
// them too; a failed announcement is counted in Stats.Errors but does not
// fail the call. Errors are as for [Backend.Set].
func (b *Backend) InvalidateTags(ctx context.Context, tags []string, at time.Time) error {
	ctx, err := b.open(ctx, "invalidate tags")
	if err != nil {
		return err
	}
	if len(tags) == 0 {
		return nil
	}
	if err := backend.CheckInvalidTags(tags, 0); err != nil {
		return b.fail(ctx, "invalidate tags", err)
	}
	args := make([]any, 0, 1+len(tags))
	args = append(args, markString(at))
	for _, t := range tags {
		args = append(args, t)
	}
	err = b.call(ctx, "invalidate tags", func(ctx context.Context) error {
		return raiseMarks.Run(ctx, b.client, []string{b.tagsKey}, args...).Err()
	})
	if err != nil {
		return err
	}
	if b.channel != "" {
		msg := b.tagsMessage(at, tags)
		_ = b.call(ctx, "invalidate tags", func(ctx context.Context) error {
			return b.client.Publish(ctx, b.channel, msg).Err()
		})
	}
	return nil
}

// TagsInvalidated returns the latest invalidation time recorded for any of
// tags, or the zero time, with one HMGET. Errors are as for [Backend.Get];
// a mark Redis holds that is not a decimal (written by something else) is
// an error too.
func (b *Backend) TagsInvalidated(ctx context.Context, tags []string) (time.Time, error) {
	ctx, err := b.open(ctx, "tags invalidated")
	if err != nil {
		return time.Time{}, err
	}
	if len(tags) == 0 {
		return time.Time{}, nil
	}
	var vals []any
	err = b.call(ctx, "tags invalidated", func(ctx context.Context) error {
		var err error
		vals, err = b.client.HMGet(ctx, b.tagsKey, tags...).Result()
		return err
	})
	if err != nil {
		return time.Time{}, err
	}
	return latestMark(vals, func(err error) error { return b.fail(ctx, "tags invalidated", err) })
}

// latestMark returns the latest of the marks HMGET or HGETALL returned
// (nil for a tag without one), or the zero time.
func latestMark(vals []any, fail func(error) error) (time.Time, error) {
	latest := int64(-1)
	for _, v := range vals {
		s, ok := v.(string)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, fail(err)
		}
		latest = max(latest, n)
	}
	if latest < 0 {
		return time.Time{}, nil
	}
	return time.Unix(0, latest), nil
}

// Marks calls fn with every tag invalidation mark the Backend's hash holds
// (HGETALL: the hash is read whole, in one round trip), for a new L1 to
// start from what the fleet invalidated so far. Errors are as for
// [Backend.Get].
func (b *Backend) Marks(ctx context.Context, fn func(tag string, at time.Time)) error {
	ctx, err := b.open(ctx, "marks")
	if err != nil {
		return err
	}
	var all map[string]string
	err = b.call(ctx, "marks", func(ctx context.Context) error {
		var err error
		all, err = b.client.HGetAll(ctx, b.tagsKey).Result()
		return err
	})
	if err != nil {
		return err
	}
	for tag, s := range all {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return b.fail(ctx, "marks", err)
		}
		fn(tag, time.Unix(0, n))
	}
	return nil
}
