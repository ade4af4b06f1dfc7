package memory

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strconv"

	"github.com/hitbox-go/hitbox/bench/internal/measure"
	"github.com/hitbox-go/hitbox/bench/internal/result"
)

// byteBound is "memory backend, byte bound": writes of mixed sizes (64 B to
// 64 KiB, log-uniform) adding up to four budgets, then the bytes the store
// says it holds and the heap it grew by, both against the budget. Peers
// weigh entries as a user of each would: key + value bytes.
func byteBound(ctx context.Context, env measure.Env) ([]result.Measure, error) {
	const row = "memory byte bound"
	budget := int64(256 << 20)
	if env.Quick {
		budget = 64 << 20
	}
	cas := fmt.Sprintf("budget %d MiB, 4× written, values 64 B–64 KiB", budget>>20)
	var out []result.Measure
	for _, name := range []string{subjHitbox, subjOtter, subjRistretto, subjTheine} {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		heap, resident, err := fill(name, budget, uint64(env.Rep))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		env.Logf("%s %s: heap %.2f× budget", row, name, heap)
		m := result.Measure{Row: row, Case: cas, Metric: "heap growth ÷ budget", Unit: result.Times, Subject: name, Value: heap}
		out = append(out, m)
		if name == subjHitbox {
			out = append(out, result.Measure{Row: row, Case: cas, Metric: "resident entry bytes ÷ budget",
				Unit: result.Times, Subject: name, Value: resident, Note: "weights: key + value + 256 B overhead"})
		}
	}
	out = append(out,
		result.Measure{Row: row, Case: cas, Metric: "heap growth ÷ budget", Unit: result.Times, Subject: "budget",
			Value: 1, Target: result.AtMost(1.2, "heap ≤ 1.2× budget")},
		result.Measure{Row: row, Case: cas, Metric: "resident entry bytes ÷ budget", Unit: result.Times,
			Subject: "budget", Value: 1, Target: result.AtMost(1, "≤ budget")},
	)
	return out, nil
}

// fill writes 4× budget into a fresh store and returns its heap growth and
// (hitbox only) its resident entry bytes, both divided by the budget.
func fill(name string, budget int64, seed uint64) (heap, resident float64, err error) {
	base := heapAlloc()
	st, err := newStore(name, bound{bytes: budget})
	if err != nil {
		return 0, 0, err
	}
	r := rand.New(rand.NewPCG(seed+7, 0xb17e5))
	lo, hi := math.Log(64), math.Log(64<<10)
	var written int64
	for i := 0; written < 4*budget; i++ {
		n := int(math.Exp(lo + r.Float64()*(hi-lo)))
		k := "GET:/blob/" + strconv.Itoa(i)
		st.set(k, make([]byte, n))
		written += int64(n + len(k))
		if w, ok := st.(waiter); ok && i%1000 == 999 {
			w.wait()
		}
	}
	if w, ok := st.(waiter); ok {
		w.wait()
	}
	heap = float64(heapAlloc()-base) / float64(budget)
	if h, ok := st.(hitboxStore); ok {
		resident = float64(h.m.Stats().Bytes) / float64(budget)
	}
	runtime.KeepAlive(st)
	st.close()
	return heap, resident, nil
}

// heapAlloc returns the live heap after a full collection.
func heapAlloc() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
