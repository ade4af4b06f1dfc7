package predicate

import "net/http"

// Predicate decides whether a value of type T satisfies a condition. The two
// kinds this package builds are [Request] and [Response]; [And], [Or] and
// [Not] combine either kind.
//
// Implementations must be safe for concurrent use on distinct values, and
// must not panic on a nil value (it does not match).
type Predicate[T any] interface {
	Match(v T) bool
}

// Request decides whether a request may be cached.
type Request = Predicate[*http.Request]

// Response decides whether a response may be stored.
type Response = Predicate[*http.Response]

// Func adapts an ordinary function to a [Predicate], as
// [net/http.HandlerFunc] adapts a handler. Calling Match on a nil Func
// panics.
type Func[T any] func(v T) bool

// Match reports f(v).
func (f Func[T]) Match(v T) bool { return f(v) }

// RequestFunc adapts a function to a [Request] predicate.
type RequestFunc = Func[*http.Request]

// ResponseFunc adapts a function to a [Response] predicate.
type ResponseFunc = Func[*http.Response]

// And returns a predicate that holds when every p holds, evaluated in order
// and stopping at the first that does not. And with no operands is neutral:
// it always holds (no condition). Nil operands are dropped, so they count as
// no condition.
func And[T any](ps ...Predicate[T]) Predicate[T] {
	return and[T](compact(ps))
}

// Or returns a predicate that holds when at least one p holds, evaluated in
// order and stopping at the first that does. As in the configuration
// language, an empty Or is neutral: with no operands it always holds (no
// condition), like an empty [And]. Nil operands are dropped; an Or of only
// nil operands is therefore empty and always holds.
func Or[T any](ps ...Predicate[T]) Predicate[T] {
	return or[T](compact(ps))
}

// Not returns a predicate that holds when p does not. Not(nil) never holds
// (nil means "no condition", which always holds).
func Not[T any](p Predicate[T]) Predicate[T] {
	return not[T]{p: p}
}

// compact copies ps without its nil entries, so the caller's slice may be
// reused.
func compact[T any](ps []Predicate[T]) []Predicate[T] {
	out := make([]Predicate[T], 0, len(ps))
	for _, p := range ps {
		if p != nil {
			out = append(out, p)
		}
	}
	return out
}

type and[T any] []Predicate[T]

func (ps and[T]) Match(v T) bool {
	for _, p := range ps {
		if !p.Match(v) {
			return false
		}
	}
	return true
}

type or[T any] []Predicate[T]

func (ps or[T]) Match(v T) bool {
	if len(ps) == 0 {
		return true
	}
	for _, p := range ps {
		if p.Match(v) {
			return true
		}
	}
	return false
}

type not[T any] struct{ p Predicate[T] }

func (n not[T]) Match(v T) bool {
	return n.p != nil && !n.p.Match(v)
}
