package main

import (
	"container/list"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// How many wrong tokens a client may send: a burst of authBurst, then one
// per authRefill. A client over its budget is answered 429 on every call
// that needs the token until the budget refills; at most authClients
// clients are remembered.
const (
	// authBurst is how many failed authentications in a row a client may
	// make before it is throttled.
	authBurst = 10
	// authRefill is how often a client earns one more attempt.
	authRefill = time.Second
	// authClients caps the table of clients: past it, the client that
	// failed least recently is forgotten (its budget is full again).
	authClients = 10_000
	// authLimit is the fill of a bucket, measured as the time it takes
	// to drain, past which a client is throttled: authBurst failures at
	// once fill it to authBurst*authRefill.
	authLimit = (authBurst - 1) * authRefill
)

// authLimiter counts the failed authentications of each client (see
// [authClientOf]) in a bucket that holds authBurst failures and drains one
// per authRefill. Only failures fill it: a client that sends the right token
// never gets closer to its limit. A client whose bucket is full is
// throttled until it drains by one.
//
// Each bucket is one time (the virtual scheduling of GCRA): when the
// bucket will be empty. A bucket that has drained is as good as none and
// is dropped as later failures come in. The table is an LRU list capped
// at authClients, the least recently failed client dropped first, so a
// spray of source addresses costs bounded memory. Forgetting a client
// gives it a full budget again, which such a spray has anyway: one budget
// per address.
type authLimiter struct {
	mu      sync.Mutex // guards clients and lru
	clients map[string]*list.Element
	lru     list.List // of *authClient, the most recent failure at the back
}

// authClient is one client's bucket.
type authClient struct {
	addr string
	// empty is when the bucket will have drained completely.
	empty time.Time
	// warned says the throttling of this client was logged; it is reset
	// when the bucket has drained.
	warned bool
}

// newAuthLimiter returns an empty limiter.
func newAuthLimiter() *authLimiter {
	return &authLimiter{clients: map[string]*list.Element{}}
}

// wait returns how long client must wait before it may try again at now,
// 0 when it may now.
func (l *authLimiter) wait(client string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.clients[client]
	if !ok {
		return 0
	}
	return max(e.Value.(*authClient).empty.Sub(now)-authLimit, 0)
}

// fail counts a failed authentication of client at now. It reports
// whether that failure used up the client's budget and the throttling is
// news (to be logged): once until the bucket drains completely. Every
// failure counts, also one of many that passed [authLimiter.wait]
// together: the client then waits the longer, so sending guesses at once
// does not raise their rate.
func (l *authLimiter) fail(client string, now time.Time) (throttled bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dropDrained(now)
	e, ok := l.clients[client]
	if !ok {
		if l.lru.Len() >= authClients {
			old := l.lru.Remove(l.lru.Front()).(*authClient)
			delete(l.clients, old.addr)
		}
		e = l.lru.PushBack(&authClient{addr: client})
		l.clients[client] = e
	}
	l.lru.MoveToBack(e)
	c := e.Value.(*authClient)
	if !c.empty.After(now) {
		c.empty, c.warned = now, false
	}
	c.empty = c.empty.Add(authRefill)
	if c.warned || c.empty.Sub(now) <= authLimit {
		return false
	}
	c.warned = true
	return true
}

// dropDrained forgets the least recently failed clients while their
// buckets have drained, a few at each call, so the table shrinks when the
// failures stop.
func (l *authLimiter) dropDrained(now time.Time) {
	for range 2 {
		front := l.lru.Front()
		if front == nil || front.Value.(*authClient).empty.After(now) {
			return
		}
		delete(l.clients, l.lru.Remove(front).(*authClient).addr)
	}
}

// len returns how many clients the limiter remembers.
func (l *authLimiter) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lru.Len()
}

// authClientOf names r's client for the limiter: the address the
// connection comes from, an IPv6 address by its /64 (what one host is usually
// given, so it cannot take a fresh budget from each of its addresses).
// X-Forwarded-For and the like are never read: the admin listener is not
// behind hitboxd's proxy, and a client could write them at will and take
// a fresh budget with each request.
func authClientOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is4() {
		return ip.String()
	}
	p, _ := ip.WithZone("").Prefix(64) // an IPv6 address always has a /64
	return p.String()
}
