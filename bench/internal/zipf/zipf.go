// Package zipf draws Zipf-distributed ranks for any exponent s > 0,
// including s ≤ 1 where math/rand/v2's Zipf does not apply: it samples by
// inverse CDF over a precomputed table.
package zipf

import (
	"errors"
	"math"
	"math/rand/v2"
	"sort"
)

// Zipf draws ranks in [0, n) with P(k) ∝ 1/(k+1)^s.
type Zipf struct {
	cdf []float64
	r   *rand.Rand
}

// New returns a generator over n ranks with exponent s, drawing from r.
func New(r *rand.Rand, s float64, n int) (*Zipf, error) {
	if n <= 0 || s <= 0 || math.IsNaN(s) || math.IsInf(s, 0) {
		return nil, errors.New("zipf: want n > 0 and a finite s > 0")
	}
	if r == nil {
		return nil, errors.New("zipf: nil source")
	}
	cdf := make([]float64, n)
	var sum float64
	for k := range n {
		sum += math.Pow(float64(k+1), -s)
		cdf[k] = sum
	}
	for k := range cdf {
		cdf[k] /= sum
	}
	cdf[n-1] = 1
	return &Zipf{cdf: cdf, r: r}, nil
}

// Next returns the next rank.
func (z *Zipf) Next() int {
	u := z.r.Float64()
	return sort.SearchFloat64s(z.cdf, u)
}

// Trace returns m ranks.
func (z *Zipf) Trace(m int) []int {
	t := make([]int, m)
	for i := range t {
		t[i] = z.Next()
	}
	return t
}
