package store

import (
	"sync"
	"sync/atomic"

	"github.com/hitbox-go/hitbox/internal/lifecycle"
)

// MarkClosed begins a network store's Close: under mu (which guards closed
// and what else the store keeps for Close), it sets closed, closes g so
// that no new background work starts, and runs take, when not nil, to take
// what else mu guards. It reports false, doing nothing, when closed was set
// already (a later Close).
func MarkClosed(mu *sync.Mutex, closed *atomic.Bool, g *lifecycle.Group, take func()) bool {
	mu.Lock()
	defer mu.Unlock()
	if closed.Load() {
		return false
	}
	closed.Store(true)
	g.Close()
	if take != nil {
		take()
	}
	return true
}
