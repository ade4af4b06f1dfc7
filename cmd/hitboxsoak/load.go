package main

// The clients: a bounded number of them, at a bounded total rate, each
// picking a kind of traffic and a key, and verifying what comes back.

import (
	"context"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"
)

// requestTimeout bounds one request, body included: far above the
// slowest answer, so that only a hang reaches it.
const requestTimeout = 2 * time.Minute

// load is the clients' shared state.
type load struct {
	base    string // hitboxd's proxy URL
	client  *http.Client
	counts  *counters
	weights [numKinds]int
	total   int // the sum of weights
	// onCorrupt is called with each corrupt body, for the log.
	onCorrupt func(path string, err error)
}

func newLoad(base string, clients int, counts *counters, onCorrupt func(string, error)) *load {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        clients,
		MaxIdleConnsPerHost: clients,
		IdleConnTimeout:     time.Minute,
		// Bodies must arrive as hitboxd sent them, never decoded.
		DisableCompression: true,
	}
	l := &load{base: base, client: &http.Client{Transport: tr}, counts: counts, onCorrupt: onCorrupt}
	for k := range numKinds {
		l.weights[k] = specs[k].weight
		l.total += specs[k].weight
	}
	return l
}

// close closes the clients' idle connections.
func (l *load) close() { l.client.CloseIdleConnections() }

// run starts clients goroutines that send requests until ctx ends, at
// most rate per second in total, and waits for them. Requests cut short
// by the end of ctx are not counted.
func (l *load) run(ctx context.Context, clients int, rate float64, seed uint64) {
	tokens := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { pace(ctx, rate, tokens) })
	for i := range clients {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case <-tokens:
				}
				k := l.pick(rng)
				l.do(ctx, k, rng.IntN(specs[k].keys))
			}
		})
	}
	wg.Wait()
}

// pace offers a token every 1/rate seconds until ctx ends; a token no
// client takes in time is dropped, so busy clients lower the rate rather
// than queue.
func pace(ctx context.Context, rate float64, tokens chan<- struct{}) {
	t := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		select {
		case tokens <- struct{}{}:
		case <-ctx.Done():
			return
		case <-t.C: // nobody was free for a whole tick
		}
	}
}

// pick chooses a kind by the weights.
func (l *load) pick(rng *rand.Rand) kind {
	n := rng.IntN(l.total)
	for k := range numKinds {
		if n < l.weights[k] {
			return k
		}
		n -= l.weights[k]
	}
	return kindHot
}

// do sends one GET for id of kind k and records what came back.
func (l *load) do(ctx context.Context, k kind, id int) {
	path := k.path(id)
	rctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	var (
		resp    *http.Response
		status  int
		cs      cacheStatus
		n       int64
		bodyErr error
	)
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, l.base+path, nil)
	if err == nil {
		resp, err = l.client.Do(req)
	}
	if err == nil {
		status, cs = resp.StatusCode, parseCacheStatus(resp.Header.Get("X-Cache-Status"))
		if status == http.StatusOK {
			n, bodyErr = verifyBody(path, resp.Body)
		} else {
			n, bodyErr = io.Copy(io.Discard, resp.Body)
		}
		resp.Body.Close()
	}
	if ctx.Err() != nil && (err != nil || bodyErr != nil) {
		return // cut by the end of the soak
	}
	class := classify(err, status, bodyErr)
	if class == errCorrupt {
		l.onCorrupt(path, bodyErr)
	}
	l.counts.record(k, cs, class, n)
}
