package tarantool

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/tarantool/go-tarantool/v3"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/internal/store"
)

// pruneBatch is how many tuples of the tags space one prune transaction
// walks: a few hundred holds the server's thread for well under a
// millisecond.
const pruneBatch = 500

// tagPruning is a Backend's state for pruning its tag marks
// ([Options.TagRetention]).
type tagPruning struct {
	retention time.Duration // <= 0: marks are kept
	// batch is the tuples a transaction walks (pruneBatch); tests make it
	// and the schedule's Min small.
	batch int
	// beforeBatch, when set (by tests), is called before each prune
	// transaction with the tag it starts after.
	beforeBatch func(after string)

	schedule store.PruneSchedule // the space's size at which InvalidateTags prunes
	running  atomic.Bool         // a prune runs: another call does not start one
}

// pruneTagsLua prunes one batch of the marks space: it raises the floor
// (the tuple of the empty tag, which sorts first and which no real tag can
// be) to cutoff, walks up to limit tuples of the tag index after the tag
// after, deletes those whose mark is at or before cutoff, and returns how
// many it walked, the space's number of tuples left, and the last tag it
// walked (the next batch starts after it).
//
// Each batch is one transaction without a yield between reading a mark
// and deleting it (memtx runs a Lua function without yielding until it
// commits), so a mark that a concurrent InvalidateTags raised past cutoff
// is never deleted: either the raise came first and the mark is kept, or
// it comes after the delete and makes the tuple again. Paging from the
// client, rather than yielding inside one call, keeps each transaction
// short (a memtx transaction cannot span a yield) whatever the space's
// size. Every batch raises the floor first, in its own transaction, so a
// pruned mark is always covered by it.
const pruneTagsLua = `
local name, cutoff, after, limit = ...
local s = box.space[name]
if s == nil then return 0, 0, '' end
box.begin()
local floor = s:get('')
if floor == nil or floor[2] < cutoff then s:replace({'', cutoff}) end
local walked, last, old = 0, after, {}
for _, t in s.index[0]:pairs(after, {iterator = 'GT'}) do
    if walked >= limit then break end
    walked = walked + 1
    last = t[1]
    if t[1] ~= '' and t[2] <= cutoff then old[#old + 1] = t[1] end
end
for _, tag in ipairs(old) do s:delete(tag) end
box.commit()
return walked, s:len(), last
`

// maybePrune prunes the marks when TagRetention is set and the tags space
// holds size tuples, at least the threshold (a [store.PruneSchedule]).
// Pruning here, right after the raise that
// returned the size, rather than in the sweep loop, prunes whenever marks
// grow, whether this instance sweeps or not, and the size comes with no
// extra request. A failed prune leaves the threshold, so the next call
// tries again.
func (b *Backend) maybePrune(ctx context.Context, size int64) {
	p := &b.prune
	if p.retention <= 0 || !p.schedule.Due(size) || !p.running.CompareAndSwap(false, true) {
		return
	}
	defer p.running.Store(false)
	cutoff := backend.MarkNano(b.now().Add(-p.retention))
	if cutoff == math.MinInt64 {
		return
	}
	left, err := b.pruneTags(ctx, cutoff)
	if err == nil {
		p.schedule.Pruned(left)
	}
}

// pruneTags removes the marks at or before cutoff (Unix nanoseconds),
// raising the floor to it, in transactions of p.batch tuples, and returns
// the number of tuples left in the space. Each request is a write: once
// sent, it runs to its reply or its timeout.
func (b *Backend) pruneTags(ctx context.Context, cutoff int64) (int64, error) {
	p := &b.prune
	name := b.space + TagsSpaceSuffix
	after := ""
	for {
		if p.beforeBatch != nil {
			p.beforeBatch(after)
		}
		var res pruneReply
		err := b.run(ctx, "prune tags", func(uint32) tarantool.Request {
			return tarantool.NewEvalRequest(pruneTagsLua).Args([]any{name, cutoff, after, p.batch})
		}, &res)
		if err != nil {
			return 0, err
		}
		if res.walked < int64(p.batch) {
			return res.left, nil
		}
		after = res.last
	}
}

// pruneReply decodes the reply of pruneTagsLua.
type pruneReply struct {
	walked, left int64
	last         string
}

// DecodeMsgpack reads [walked, left, last].
func (r *pruneReply) DecodeMsgpack(d *msgpack.Decoder) error {
	n, err := d.DecodeArrayLen()
	if err != nil {
		return err
	}
	if n != 3 {
		return fmt.Errorf("a reply of %d values, want 3", n)
	}
	if r.walked, err = d.DecodeInt64(); err != nil {
		return err
	}
	if r.left, err = d.DecodeInt64(); err != nil {
		return err
	}
	r.last, err = d.DecodeString()
	return err
}
