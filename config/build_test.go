package config

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend"
)

// checkBuild builds a valid file: the endpoints always build; the store
// builds unless the tree holds a backend without an implementation yet.
func checkBuild(t *testing.T, f *File) {
	t.Helper()
	rt, err := f.Build(BuildOptions{})
	if err != nil {
		if !errors.Is(err, ErrUnsupported) || !usesUnsupported(f.Backend) {
			t.Fatalf("Build: %v", err)
		}
		eps, err := f.BuildEndpoints()
		if err != nil {
			t.Fatalf("BuildEndpoints: %v", err)
		}
		if len(eps) != len(f.Endpoints) {
			t.Fatalf("BuildEndpoints gave %d endpoints, want %d", len(eps), len(f.Endpoints))
		}
		return
	}
	defer func() {
		if err := rt.Store.Close(context.Background()); err != nil {
			t.Errorf("Store.Close: %v", err)
		}
	}()
	if len(rt.Endpoints) != len(f.Endpoints) {
		t.Fatalf("Build gave %d endpoints, want %d", len(rt.Endpoints), len(f.Endpoints))
	}
	for i, ep := range rt.Endpoints {
		if ep.Name != f.Endpoints[i].Name || ep.Request == nil || ep.Response == nil || ep.Extractors == nil {
			t.Errorf("endpoint %d = %+v: want a name, predicates and extractors", i, ep)
		}
	}
	if rt.Store.Backend == nil || rt.Store.KeyFormat != f.Backend.KeyFormat() {
		t.Errorf("store = %+v, want a backend with key format %v", rt.Store, f.Backend.KeyFormat())
	}
}

func usesUnsupported(b *Backend) bool {
	switch b.Type {
	case Redis, Disk, Tarantool:
		return true
	case Composition:
		return usesUnsupported(b.Composition.L1) || usesUnsupported(b.Composition.L2)
	}
	return false
}

func entryFor(v string) backend.Entry {
	now := time.Now()
	return backend.Entry{Value: []byte(v), Written: now, Stale: now.Add(time.Hour), Expire: now.Add(time.Hour)}
}
