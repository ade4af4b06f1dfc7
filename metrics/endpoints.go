package metrics

import (
	"sync"
	"sync/atomic"
)

// endpointSet is the endpoint names that have series of their own: the
// first max distinct names seen. Its reads take no lock; only admitting a
// new name does.
type endpointSet struct {
	max   int
	names sync.Map    // admitted name → struct{}
	full  atomic.Bool // set once max names are admitted
	mu    sync.Mutex  // guards n and the admissions
	n     int
}

func newEndpointSet(maxNames int) *endpointSet {
	return &endpointSet{max: maxNames}
}

// admit reports whether the events of the endpoint name have series of
// their own, admitting name while there is room. "" and [OtherEndpoints]
// are always admitted and take no room: they are labels already.
func (s *endpointSet) admit(name string) bool {
	if name == "" || name == OtherEndpoints {
		return true
	}
	if _, ok := s.names.Load(name); ok {
		return true
	}
	if s.full.Load() {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.names.Load(name); ok {
		return true
	}
	if s.n >= s.max {
		s.full.Store(true)
		return false
	}
	s.n++
	s.names.Store(name, struct{}{})
	return true
}
