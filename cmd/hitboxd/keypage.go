package main

import (
	"container/heap"
	"slices"
	"strings"

	"github.com/hitbox-go/hitbox/backend"
)

// keyPage collects one page of GET /keys while the backend lists its keys
// in any order: the limit smallest keys after the cursor, in a max-heap,
// so that listing a backend of any size holds at most limit keys.
type keyPage struct {
	after string // the cursor: only keys greater are kept
	limit int
	count int // entries seen (all of them, before and after the cursor)
	more  bool
	h     keyHeap
}

// listed is a key as the admin API writes it, with its entry's metadata.
type listed struct {
	key  string // as listed (base64url for binary keys)
	info backend.KeyInfo
}

// keyHeap is a max-heap of listed keys.
type keyHeap []listed

func (h keyHeap) Len() int           { return len(h) }
func (h keyHeap) Less(i, j int) bool { return h[i].key > h[j].key }
func (h keyHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *keyHeap) Push(x any)        { *h = append(*h, x.(listed)) }
func (h *keyHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// add offers one listed entry to the page.
func (p *keyPage) add(key string, ki backend.KeyInfo) {
	p.count++
	if p.after != "" && key <= p.after {
		return
	}
	if len(p.h) < p.limit {
		heap.Push(&p.h, listed{key: key, info: ki})
		return
	}
	p.more = true
	if key < p.h[0].key {
		p.h[0] = listed{key: key, info: ki}
		heap.Fix(&p.h, 0)
	}
}

// keys returns the page's keys in order, and whether keys follow them.
func (p *keyPage) keys() ([]listed, bool) {
	out := slices.Clone(p.h)
	slices.SortFunc(out, func(a, b listed) int { return strings.Compare(a.key, b.key) })
	return out, p.more
}
