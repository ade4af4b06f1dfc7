package hitbox

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend/memory"
)

// TestTypedLocalBounded checks that the in-process layer keeps its weight
// under Local.MaxBytes, weighing values with Local.Size, while the
// backend still answers the values it evicted.
func TestTypedLocalBounded(t *testing.T) {
	t.Parallel()
	mem, err := memory.New(memory.Options{MaxBytes: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mem.Close(context.Background()) })
	c, err := New(mem)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	const maxBytes = 64 << 10
	typed, err := NewTyped(c, TypedOptions[int]{
		Policy: Enabled(time.Hour, 0),
		Local:  Local[int]{MaxBytes: maxBytes, Size: func(int) int { return 1 << 10 }},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		v, _, err := typed.GetOrFetch(t.Context(), strconv.Itoa(i), func(context.Context) (int, error) { return i, nil })
		if err != nil || v != i {
			t.Fatalf("GetOrFetch(%d) = %d, %v", i, v, err)
		}
	}
	typed.local.c.CleanUp()
	if got := typed.local.c.WeightedSize(); got > maxBytes || got == 0 {
		t.Errorf("layer weight = %d, want in (0, %d]", got, maxBytes)
	}
	if n := typed.local.c.EstimatedSize(); n >= 1000 || n == 0 {
		t.Errorf("layer holds %d values, want fewer than the 1000 written", n)
	}
	v, res, err := typed.GetOrFetch(t.Context(), "0", func(context.Context) (int, error) { return -1, nil })
	if err != nil || v != 0 || res.Status != Hit {
		t.Errorf("an evicted value = %d, %v, %v; want 0 HIT from the backend", v, res.Status, err)
	}
}
