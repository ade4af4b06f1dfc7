package metrics_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/metrics"
)

// mapStore is a minimal backend that counts its hits and misses.
type mapStore struct {
	mu           sync.Mutex // guards m, hits and misses
	m            map[string]backend.Entry
	hits, misses uint64
}

func (s *mapStore) Get(_ context.Context, key string) (backend.Entry, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[key]
	if ok {
		s.hits++
	} else {
		s.misses++
	}
	return e, ok, nil
}

func (s *mapStore) Set(_ context.Context, key string, e backend.Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = e
	return nil
}

func (s *mapStore) Delete(_ context.Context, key string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.m[key]
	delete(s.m, key)
	return ok, nil
}

func (s *mapStore) Stats() backend.Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return backend.Stats{Label: "memory", Hits: s.hits, Misses: s.misses, Entries: int64(len(s.m)), Bytes: -1}
}

func (s *mapStore) Label() string { return "memory" }

func Example() {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	store := &mapStore{m: map[string]backend.Entry{}}
	m.WatchBackend(store)
	cache, err := hitbox.New(store, hitbox.WithRecorder(m))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cache.Close(context.Background())

	// Two requests for one key: a miss that asks the upstream, then a hit.
	req := hitbox.Request{Key: "users/42", Endpoint: "users", Policy: hitbox.Enabled(time.Minute, 0)}
	fetch := func(context.Context) (hitbox.Fetched, error) {
		return hitbox.Fetched{Value: []byte(`{"id":42}`), Store: true}, nil
	}
	for range 2 {
		res, err := cache.Do(context.Background(), req, fetch)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(res.Status)
	}

	// Scrape it as Prometheus would.
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	for sc := bufio.NewScanner(resp.Body); sc.Scan(); {
		line := sc.Text()
		for _, name := range []string{"hitbox_requests_total", "hitbox_upstream_requests_total", "hitbox_backend_entries"} {
			if strings.HasPrefix(line, name+"{") {
				fmt.Println(line)
			}
		}
	}

	s := m.Snapshot()
	fmt.Printf("requests=%d hits=%d misses=%d upstream=%d stored in memory=%d\n",
		s.Total.Requests, s.Total.Hits, s.Total.Misses, s.Total.Upstream, s.Backends["memory"].Stored)
	// Output:
	// MISS
	// HIT
	// hitbox_backend_entries{backend="memory"} 1
	// hitbox_requests_total{endpoint="users",status="hit"} 1
	// hitbox_requests_total{endpoint="users",status="miss"} 1
	// hitbox_upstream_requests_total{endpoint="users",outcome="ok"} 1
	// requests=2 hits=1 misses=1 upstream=1 stored in memory=1
}
