package zipf

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestFrequencies(t *testing.T) {
	tests := []struct {
		name string
		s    float64
	}{
		{"s=0.8", 0.8},
		{"s=1.01", 1.01},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const n, m = 1000, 200_000
			z, err := New(rand.New(rand.NewPCG(1, 2)), tt.s, n)
			if err != nil {
				t.Fatal(err)
			}
			counts := make([]int, n)
			for range m {
				counts[z.Next()]++
			}
			// Rank 0 against rank 9: their ratio is 10^s.
			got := float64(counts[0]) / float64(counts[9])
			want := math.Pow(10, tt.s)
			if math.Abs(got-want)/want > 0.15 {
				t.Errorf("count(0)/count(9) = %.2f, want about %.2f", got, want)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name string
		s    float64
		n    int
	}{
		{"zero n", 1, 0},
		{"zero s", 0, 10},
		{"NaN s", math.NaN(), 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(r, tt.s, tt.n); err == nil {
				t.Errorf("New(%v, %d) = nil error", tt.s, tt.n)
			}
		})
	}
}
