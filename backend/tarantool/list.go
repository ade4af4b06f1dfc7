package tarantool

import (
	"context"
	"strings"
	"time"

	"github.com/tarantool/go-tarantool/v3"

	"github.com/hitbox-go/hitbox/backend"
)

// listBatch is how many tuples each round trip of List reads: List holds
// at most that many values in memory at once.
const listBatch = 128

// List calls fn for each entry whose key starts with prefix, as
// [backend.Lister] says, in key order: it walks the primary index from the
// prefix on, [listBatch] tuples per round trip (each one request through
// the breaker under Timeout), so it holds one batch in memory whatever the
// space's size. Tuples whose value does not decode (counted in
// Stats.DecodeErrors) and entries past their deadline at Now are skipped;
// Size is the stored size of the value, after encoding and compression.
// fn is called outside any round trip and may call the Backend. Errors are
// as for [Backend.Get].
func (b *Backend) List(ctx context.Context, prefix string, fn func(backend.KeyInfo) bool) error {
	ctx, err := b.open(ctx, "list")
	if err != nil {
		return err
	}
	from, iter := prefix, tarantool.IterGe
	for {
		var res tuples
		err := b.run(ctx, "list", func(space uint32) tarantool.Request {
			return tarantool.NewSelectRequest(space).Index(primaryIndex).Iterator(iter).Limit(listBatch).Key(&keyArg{from})
		}, &res)
		if err != nil {
			return err
		}
		now := b.now()
		for _, s := range res.list {
			if !strings.HasPrefix(s.key, prefix) {
				return nil // keys are in order: past the prefix
			}
			e, ok := b.decode(s)
			if !ok || e.Gone(now) {
				continue
			}
			info := backend.KeyInfo{Key: s.key, Written: e.Written, Stale: e.Stale, Expire: e.Expire, Keep: e.Keep, Tags: e.Tags, Size: len(s.value)}
			if !fn(info) {
				return nil
			}
		}
		if len(res.list) < listBatch {
			return nil
		}
		from, iter = res.list[len(res.list)-1].key, tarantool.IterGt
	}
}

// Purge deletes every tuple whose key starts with prefix (the whole space
// when prefix is empty) and returns how many it deleted: transactions of
// up to Options.SweepBatch deletions on the server (each one request
// through the breaker under Timeout) until none is left. Tuples that are
// not entries (foreign values) are deleted and counted too. Errors are as
// for [Backend.Set]; after an error, the count says what was deleted. The
// end of ctx stops Purge between two transactions, not during one.
func (b *Backend) Purge(ctx context.Context, prefix string) (int, error) {
	n, err := b.deleteBatches(ctx, "purge", purgeLua, prefix, nil)
	b.ops.Deletes.Add(uint64(n))
	return n, err
}

// Sweep deletes the tuples past their deadline plus the expiry margin at
// Now, in transactions of up to Options.SweepBatch deletions (each one
// request through the breaker under Timeout) until none is left, and
// returns how many it deleted. The Backend calls it every
// Options.SweepInterval; calling it yourself is useful when that is
// negative. It also refreshes Stats' Entries and Bytes. Like Purge, it
// stops between two transactions when ctx ends.
func (b *Backend) Sweep(ctx context.Context) (int, error) {
	return b.deleteBatches(ctx, "sweep", sweepLua, b.now().UnixMilli(), func(res *ints) {
		b.entries.Store(res.at(1))
		b.bytes.Store(res.at(2))
	})
}

// deleteBatches evaluates script (purgeLua or sweepLua) with the space's
// ID, arg and the batch size until it deletes fewer tuples than a batch,
// and returns how many it deleted; each reply also goes to seen when set.
// Each eval is a write: once sent, it runs to its reply or its timeout.
func (b *Backend) deleteBatches(ctx context.Context, op, script string, arg any, seen func(*ints)) (int, error) {
	ctx, err := b.open(ctx, op)
	if err != nil {
		return 0, err
	}
	wctx := b.writeContext(ctx)
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, b.fail(ctx, op, err)
		}
		var res ints
		err := b.run(wctx, op, func(space uint32) tarantool.Request {
			return tarantool.NewEvalRequest(script).Args([]any{space, arg, b.sweepBatch})
		}, &res)
		if err != nil {
			return total, err
		}
		if seen != nil {
			seen(&res)
		}
		n := int(res.at(0))
		total += n
		if n < b.sweepBatch {
			return total, nil
		}
	}
}

// sweepLoop sweeps every sweepEvery until Close. A failed sweep is counted
// in Stats.Errors and tried again at the next tick.
func (b *Backend) sweepLoop() {
	t := time.NewTicker(b.sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-b.bg.Done():
			return
		case <-t.C:
		}
		_, _ = b.Sweep(b.bg)
	}
}
