package memory

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
)

// counter is a striped counter for the hot paths (hits, misses, sets), so
// that goroutines on different processors rarely write the same cache line.
// Each processor keeps to a stripe: its hint comes from a sync.Pool, whose
// items stay with the processor that put them, and moves to another stripe
// at random when an add finds its stripe contended. Reads sum the stripes.
type counter struct {
	stripes []stripe
	mask    uint32
	hints   *sync.Pool // of *uint32: stripe hints
}

// stripe fills a cache line (64 bytes on the common processors).
type stripe struct {
	n atomic.Uint64
	_ [56]byte
}

func newCounter() counter {
	n := 1
	for n < 2*runtime.GOMAXPROCS(0) {
		n <<= 1
	}
	return counter{stripes: make([]stripe, n), mask: uint32(n - 1), hints: new(sync.Pool)}
}

func (c *counter) add() {
	h, _ := c.hints.Get().(*uint32)
	if h == nil {
		h = new(uint32)
		*h = rand.Uint32()
	}
	for {
		s := &c.stripes[*h&c.mask]
		n := s.n.Load()
		if s.n.CompareAndSwap(n, n+1) {
			break
		}
		*h = rand.Uint32()
	}
	c.hints.Put(h)
}

func (c *counter) load() uint64 {
	var sum uint64
	for i := range c.stripes {
		sum += c.stripes[i].n.Load()
	}
	return sum
}
