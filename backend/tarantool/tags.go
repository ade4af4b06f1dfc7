package tarantool

import (
	"context"
	"time"

	"github.com/tarantool/go-iproto"
	"github.com/tarantool/go-tarantool/v3"

	"github.com/hitbox-go/hitbox/backend"
)

// TagsSpaceSuffix names the space of the tag invalidation marks after the
// entries' space: Space + TagsSpaceSuffix.
const TagsSpaceSuffix = "_tags"

// invalidateTagsLua raises, in one transaction, the marks of the tags
// (eval arguments after the space's name and the time) to at in the marks
// space, {tag, at} with a TREE index on the tag, creating it when missing
// (which needs the create privilege once; a space made beforehand with the
// same shape needs read and write), and returns the space's number of
// tuples, which tells InvalidateTags when to prune. A mark never moves
// back.
const invalidateTagsLua = `
local name, at = ...
local tags = {select(3, ...)}
local s = box.space[name]
for _ = 1, 100 do
    if s ~= nil and s.index[0] ~= nil then break end
    pcall(function()
        local sp = box.schema.space.create(name, {if_not_exists = true})
        sp:create_index('tag', {if_not_exists = true, type = 'TREE', parts = {{1, 'string'}}})
    end)
    s = box.space[name]
    if s == nil or s.index[0] == nil then require('fiber').sleep(0.01) end
end
if s == nil or s.index[0] == nil then error("could not create the space " .. name) end
box.begin()
for _, tag in ipairs(tags) do
    local old = s:get(tag)
    if old == nil or old[2] < at then s:replace({tag, at}) end
end
box.commit()
return s:len()
`

// tagsLatestFunc is the Lua function TagsInvalidated calls (IPROTO_CALL,
// no compilation per request, unlike an eval): it returns 1 and the latest
// mark of the tags (the arguments after the marks space's name), the floor
// (the tuple of the empty tag, which no real tag can be) counting as a mark
// of each, or 0 and 0 when none has one (or the marks space does not exist
// yet). defineTagsLatestLua defines it, as a global of the server's Lua
// state: a call that finds it missing (a server started since) defines it
// and calls again. The name carries a version, raised whenever what the
// function answers changes (v2 reads the floor), so that instances of
// different versions sharing a server each call their own.
const (
	tagsLatestFunc      = "hitbox_tags_latest_v2"
	defineTagsLatestLua = `
rawset(_G, 'hitbox_tags_latest_v2', function(name, ...)
    local s = box.space[name]
    if s == nil then return 0, 0 end
    local latest
    local floor = s:get('')
    if floor ~= nil then latest = floor[2] end
    for i = 1, select('#', ...) do
        local m = s:get((select(i, ...)))
        if m ~= nil and (latest == nil or m[2] > latest) then latest = m[2] end
    end
    if latest == nil then return 0, 0 end
    return 1, latest
end)
return 0
`
)

// tagsArgs returns the eval arguments name, first (if any), then tags.
func tagsArgs(name string, first []any, tags []string) []any {
	args := make([]any, 0, 1+len(first)+len(tags))
	args = append(args, name)
	args = append(args, first...)
	for _, t := range tags {
		args = append(args, t)
	}
	return args
}

// InvalidateTags records at as the invalidation time of each of tags, as
// [backend.Tagger] says, in the space Space + [TagsSpaceSuffix] ({tag, at}
// in Unix nanoseconds), created at the first call: one request, one
// transaction, a mark never moving back. The marks are the server's, so
// they survive a restart of the instances (and of the server, with its
// WAL) and every instance on the server shares them. They are kept as
// [Options.TagRetention] says: with it set, the call that finds the space
// grown past a threshold prunes it before returning; a failed prune is
// counted in Stats.Errors and tried again at the next call, and does not
// fail this one, whose marks are recorded. Errors, and the context, are as
// for [Backend.Set].
func (b *Backend) InvalidateTags(ctx context.Context, tags []string, at time.Time) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx = b.writeContext(ctx)
	if b.closed.Load() {
		return b.fail(ctx, "invalidate tags", backend.ErrClosed)
	}
	if err := backend.CheckInvalidTags(tags, 0); err != nil {
		return b.fail(ctx, "invalidate tags", err)
	}
	if len(tags) == 0 {
		return nil
	}
	args := tagsArgs(b.space+TagsSpaceSuffix, []any{backend.MarkNano(at)}, tags)
	var res ints
	err := b.run(ctx, "invalidate tags", func(uint32) tarantool.Request {
		return tarantool.NewEvalRequest(invalidateTagsLua).Args(args)
	}, &res)
	if err != nil {
		return err
	}
	b.maybePrune(ctx, res.at(0))
	return nil
}

// TagsInvalidated returns the latest invalidation time recorded for any of
// tags (the floor a prune left counting as a mark of each), or the zero
// time, in one request for all of them: a call of a Lua
// function the Backend defines on the server (a global of its Lua state,
// defined again after a server restart), which needs the execute privilege
// as the other scripts do. Errors are as for [Backend.Get].
func (b *Backend) TagsInvalidated(ctx context.Context, tags []string) (time.Time, error) {
	ctx, err := b.open(ctx, "tags invalidated")
	if err != nil {
		return time.Time{}, err
	}
	if len(tags) == 0 {
		return time.Time{}, nil
	}
	args := tagsArgs(b.space+TagsSpaceSuffix, nil, tags)
	var res ints
	call := func(uint32) tarantool.Request { return tarantool.NewCallRequest(tagsLatestFunc).Args(args) }
	err = b.run(ctx, "tags invalidated", call, &res)
	if serverCode(err) == iproto.ER_NO_SUCH_PROC {
		err = b.run(ctx, "tags invalidated", func(uint32) tarantool.Request {
			return tarantool.NewEvalRequest(defineTagsLatestLua).Args([]any{})
		}, nil)
		if err == nil {
			err = b.run(ctx, "tags invalidated", call, &res)
		}
	}
	if err != nil {
		return time.Time{}, err
	}
	if res.at(0) == 0 {
		return time.Time{}, nil
	}
	return backend.MarkTime(res.at(1)), nil
}
