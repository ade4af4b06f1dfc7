package redis

import (
	"context"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hitbox-go/hitbox/backend"
)

// floorField is the field of the marks' hash that holds the floor left by
// pruning (see [backend.TagMarks]): the empty tag, which no InvalidateTags
// call may name ([backend.CheckInvalidTags]), so that no tag's mark
// collides with it.
const floorField = ""

// pruneBatch is the COUNT of each HSCAN of a prune: the fields one run of
// pruneMarks checks, about.
const pruneBatch = 256

// luaBelow defines below(a, b), whether the mark a is before the mark b:
// marks are compared as decimal strings (a longer one is larger), since
// Lua's numbers are doubles that cannot hold nanoseconds since 1970
// exactly. markBelow is the same in Go.
const luaBelow = `
local function below(a, b)
  return #a < #b or (#a == #b and a < b)
end
`

// markBelow reports whether the mark a is before the mark b, as luaBelow.
func markBelow(a, b string) bool {
	return len(a) < len(b) || (len(a) == len(b) && a < b)
}

// raiseMarks raises the marks of KEYS[1], a hash of tag → Unix nanoseconds
// in decimal, to ARGV[1] for each tag in ARGV[2:], never lowering one, and
// returns the number of fields of the hash (HLEN), which tells
// InvalidateTags when to prune.
var raiseMarks = goredis.NewScript(luaBelow + `
local at = ARGV[1]
for i = 2, #ARGV do
  local old = redis.call('HGET', KEYS[1], ARGV[i])
  if not old or below(old, at) then
    redis.call('HSET', KEYS[1], ARGV[i], at)
  end
end
return redis.call('HLEN', KEYS[1])
`)

// pruneMarks raises the floor of KEYS[1] (the field "") to the cutoff
// ARGV[1], never lowering it, then deletes each of the fields ARGV[2:]
// whose mark is still at or before the cutoff, and returns HLEN. A mark
// raised past the cutoff since the HSCAN that found the field stays: the
// check and the delete are one atomic step, as is the raise of the floor
// that stands for the deleted marks.
var pruneMarks = goredis.NewScript(luaBelow + `
local cut = ARGV[1]
local floor = redis.call('HGET', KEYS[1], '')
if not floor or below(floor, cut) then
  redis.call('HSET', KEYS[1], '', cut)
end
for i = 2, #ARGV do
  local v = redis.call('HGET', KEYS[1], ARGV[i])
  if ARGV[i] ~= '' and v and not below(cut, v) then
    redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
return redis.call('HLEN', KEYS[1])
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
// 1970 count as 1970), one hash field per tag, until [Options.TagRetention]
// prunes them. With [Options.Channel] set, it then announces the marks, so
// that the L1 of every instance subscribed with [Backend.Subscribe] records
// them too; a failed announcement is counted in Stats.Errors but does not
// fail the call. Errors are as for [Backend.Set].
//
// With a TagRetention, once the hash holds 1,024 fields or more (twice as
// many as the last prune left, after one), InvalidateTags starts a prune
// in the background and returns: the marks older than TagRetention at
// [Options.Now] go, in batches that HSCAN finds (never the whole hash at
// once), each deleted by a script that first raises the floor (the field
// "") to the cutoff, and that keeps a mark raised past the cutoff
// meanwhile. The prune runs in the background, one at a time per Backend,
// because a big hash takes a round trip per few hundred fields, which the
// caller of a purge should not wait for; Close stops it and waits for it.
// Its failures are counted in Stats.Errors; a prune cut short leaves the
// marks it did not reach, for the next one.
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
	var n int64
	err = b.call(ctx, "invalidate tags", func(ctx context.Context) error {
		var err error
		n, err = raiseMarks.Run(ctx, b.client, []string{b.tagsKey}, args...).Int64()
		return err
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
	b.startPrune(n)
	return nil
}

// startPrune starts a prune of the marks in the background when the hash,
// of n fields, has reached the threshold, the Backend has a TagRetention,
// and no prune is running.
func (b *Backend) startPrune(n int64) {
	if b.retention <= 0 || !b.schedule.Due(n) || !b.pruning.CompareAndSwap(false, true) {
		return
	}
	if !b.group.Go(func() {
		defer b.pruning.Store(false)
		b.prune(b.bg, n)
	}) {
		b.pruning.Store(false) // closed
	}
}

// prune removes the marks older than the retention at Now, raising the
// floor to that cutoff, and sets the next threshold from the fields left;
// n is the hash's size when it started. It walks the hash with HSCAN, from
// Go, and runs pruneMarks on the fields of each batch whose mark is due.
func (b *Backend) prune(ctx context.Context, n int64) {
	cut := b.now().Add(-b.retention)
	if backend.MarkNano(cut) <= 0 {
		return // nothing is before 1970
	}
	cutoff := markString(cut)
	left := n
	args := make([]any, 0, 1+pruneBatch)
	var cursor uint64
	for {
		var kv []string
		err := b.call(ctx, "prune tags", func(ctx context.Context) error {
			var err error
			kv, cursor, err = b.client.HScan(ctx, b.tagsKey, cursor, "", pruneBatch).Result()
			return err
		})
		if err != nil {
			return
		}
		args = append(args[:0], cutoff)
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] != floorField && !markBelow(cutoff, kv[i+1]) {
				args = append(args, kv[i])
			}
		}
		if len(args) > 1 {
			err := b.call(ctx, "prune tags", func(ctx context.Context) error {
				var err error
				left, err = pruneMarks.Run(ctx, b.client, []string{b.tagsKey}, args...).Int64()
				return err
			})
			if err != nil {
				return
			}
		}
		if cursor == 0 {
			break
		}
	}
	b.schedule.Pruned(left)
}

// TagsInvalidated returns the latest invalidation time recorded for any of
// tags, or the zero time, with one HMGET: the latest of the tags' marks and
// of the floor pruning left ([Options.TagRetention]), which stands for
// every tag. Errors are as for [Backend.Get]; a mark Redis holds that is
// not a decimal (written by something else) is an error too.
func (b *Backend) TagsInvalidated(ctx context.Context, tags []string) (time.Time, error) {
	ctx, err := b.open(ctx, "tags invalidated")
	if err != nil {
		return time.Time{}, err
	}
	if len(tags) == 0 {
		return time.Time{}, nil
	}
	// HMGET of the tags and the floor, built as go-redis's HMGet builds
	// it: no other allocation for the floor's field.
	args := make([]any, 0, 3+len(tags))
	args = append(args, "hmget", b.tagsKey)
	for _, t := range tags {
		args = append(args, t)
	}
	args = append(args, floorField)
	var vals []any
	err = b.call(ctx, "tags invalidated", func(ctx context.Context) error {
		cmd := goredis.NewSliceCmd(ctx, args...)
		err := b.client.Process(ctx, cmd)
		vals = cmd.Val()
		return err
	})
	if err != nil {
		return time.Time{}, err
	}
	return latestMark(vals, func(err error) error { return b.fail(ctx, "tags invalidated", err) })
}

// latestMark returns the latest of the marks HMGET returned (nil for a
// tag without one), or the zero time.
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
// start from what the fleet invalidated so far. The floor that pruning
// left ([Options.TagRetention]) is no tag's mark and is left out. Errors
// are as for [Backend.Get].
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
		if tag == floorField {
			continue
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return b.fail(ctx, "marks", err)
		}
		fn(tag, time.Unix(0, n))
	}
	return nil
}
