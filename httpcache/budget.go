package httpcache

import "sync/atomic"

// Stats counts what [Middleware] and [Transport] do that the flow's events
// ([hitbox.Event]) do not show. Pass one with [WithStats] to read it; the
// zero value is ready and it is safe for concurrent use.
type Stats struct {
	// TooLarge counts responses that outgrew the body limit
	// ([WithMaxBody]) while being recorded: they stream to their client
	// uncached.
	TooLarge atomic.Int64
	// OverBudget counts request bodies and responses that were not
	// buffered because the in-flight budget ([WithInflightBudget]) was
	// spent: they stream through uncached.
	OverBudget atomic.Int64
	// CutShort counts responses whose body the upstream cut short (a
	// handler that aborted, a short Content-Length, a base body that
	// failed mid-way): never stored, their client's response aborted.
	CutShort atomic.Int64
	// TagsDropped counts tags left out of stored answers because an
	// answer had more than MaxTags or one was longer than MaxTagLen.
	TagsDropped atomic.Int64
	// TagErrors counts answers not stored because an endpoint's Tags
	// extractor failed on their request.
	TagErrors atomic.Int64
	// Inflight is the number of bytes buffered now, and InflightPeak its
	// high-water mark since the face was made.
	Inflight, InflightPeak atomic.Int64
}

// budget is the in-flight byte budget of one face: reservations are taken
// without waiting (a refusal means "do not buffer") and given back when
// the bytes are no longer needed.
type budget struct {
	limit int64
	stats *Stats // Inflight is the amount reserved
}

// tryAcquire reserves n bytes and reports whether it could.
func (b *budget) tryAcquire(n int64) bool {
	if n <= 0 {
		return true
	}
	for {
		cur := b.stats.Inflight.Load()
		if cur+n > b.limit {
			return false
		}
		if b.stats.Inflight.CompareAndSwap(cur, cur+n) {
			b.peak(cur + n)
			return true
		}
	}
}

func (b *budget) peak(v int64) {
	for {
		p := b.stats.InflightPeak.Load()
		if v <= p || b.stats.InflightPeak.CompareAndSwap(p, v) {
			return
		}
	}
}

// release gives n reserved bytes back.
func (b *budget) release(n int64) {
	if n > 0 {
		b.stats.Inflight.Add(-n)
	}
}
