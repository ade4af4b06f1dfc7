package config

import (
	"context"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend"
)

// checkBuild builds a valid file as `hitboxd check` does (Disk files are
// not opened: the goldens name paths of a production machine). A tree
// with invalidation is not built here: its invalidator would
// connect to the file's Redis at once (TestBuildRedis builds such trees
// against a server of its own).
func checkBuild(t *testing.T, f *File) {
	t.Helper()
	eps, err := f.BuildEndpoints()
	if err != nil || len(eps) != len(f.Endpoints) {
		t.Fatalf("BuildEndpoints: %d endpoints, %v; want %d", len(eps), err, len(f.Endpoints))
	}
	for i, ep := range eps {
		if ep.Name != f.Endpoints[i].Name || ep.Request == nil || ep.Response == nil || ep.Extractors == nil {
			t.Errorf("endpoint %d = %+v: want a name, predicates and extractors", i, ep)
		}
	}
	if subscribes(f.Backend) {
		return
	}
	store, err := f.BuildStore(BuildOptions{Check: true})
	if err != nil {
		t.Fatalf("BuildStore: %v", err)
	}
	defer func() {
		if err := store.Close(context.Background()); err != nil {
			t.Errorf("Store.Close: %v", err)
		}
	}()
	if store.Backend == nil || store.KeyFormat != f.Backend.KeyFormat() {
		t.Errorf("store = %+v, want a backend with key format %v", store, f.Backend.KeyFormat())
	}
}

// subscribes reports whether building b would start an invalidator (which
// connects to Redis at once; the other backends connect on first use).
func subscribes(b *Backend) bool {
	if b == nil || b.Composition == nil {
		return false
	}
	c := b.Composition
	return c.Invalidation != nil || subscribes(c.L1) || subscribes(c.L2)
}

func entryFor(v string) backend.Entry {
	now := time.Now()
	return backend.Entry{Value: []byte(v), Written: now, Stale: now.Add(time.Hour), Expire: now.Add(time.Hour)}
}
