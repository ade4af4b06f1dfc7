package memory

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/hitbox-go/hitbox/bench/internal/measure"
	"github.com/hitbox-go/hitbox/bench/internal/result"
	"github.com/hitbox-go/hitbox/bench/internal/zipf"
)

// ratioKeys is the key space of the hit-ratio traces.
const ratioKeys = 100_000

// hitRatio is "memory backend, hit ratio": a Zipf trace replayed as
// get-then-set-on-miss against caches holding 1 % and 10 % of the keys.
func hitRatio(ctx context.Context, env measure.Env) ([]result.Measure, error) {
	const row = "memory hit ratio"
	length := 2_000_000
	if env.Quick {
		length = 500_000
	}
	keys := keyList(ratioKeys)
	value := make([]byte, 16)
	subjects := []string{subjHitbox, subjOtter, subjRistretto, subjTheine, subjLRU}
	targets := map[string]*result.Target{
		subjOtter:     result.AtLeast(-1, "within 1 pt of otter"),
		subjRistretto: result.Above(0, "above ristretto"),
		subjLRU:       result.Above(0, "above LRU"),
	}
	var out []result.Measure
	for _, s := range []float64{1.01, 0.8} {
		z, err := zipf.New(rand.New(rand.NewPCG(uint64(env.Rep)+1, 0x5eed)), s, ratioKeys)
		if err != nil {
			return nil, err
		}
		trace := z.Trace(length)
		for _, pct := range []int{1, 10} {
			cas := fmt.Sprintf("Zipf s=%.2f, cache %d%% of %dk keys", s, pct, ratioKeys/1000)
			capacity := ratioKeys * pct / 100
			for _, name := range subjects {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				st, err := newStore(name, bound{entries: capacity})
				if err != nil {
					return nil, fmt.Errorf("%s: %w", name, err)
				}
				hits := 0
				for _, r := range trace {
					k := keys[r]
					if st.get(k) {
						hits++
					} else {
						st.set(k, value)
					}
				}
				st.close()
				ratio := 100 * float64(hits) / float64(len(trace))
				env.Logf("%s %s %s: %.2f%%", row, cas, name, ratio)
				out = append(out, result.Measure{Row: row, Case: cas, Metric: "hit ratio", Unit: result.Percent,
					Subject: name, Value: ratio, Target: targets[name]})
			}
		}
	}
	return out, nil
}
