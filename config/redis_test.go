package config

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/memory"
	"github.com/hitbox-go/hitbox/backend/redis"
	"github.com/hitbox-go/hitbox/composition"
	"github.com/hitbox-go/hitbox/internal/redistest"
)

// buildYAML parses a file whose backend section is backendYAML and builds
// its store, closed (without error) at the end of the test.
func buildYAML(t *testing.T, backendYAML string) *Store {
	t.Helper()
	f, _, err := Parse("hitboxd.yaml", []byte("upstream: http://127.0.0.1:3000\nbackend:\n"+backendYAML))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	s, err := f.BuildStore(BuildOptions{})
	if err != nil {
		t.Fatalf("BuildStore: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(context.Background()); err != nil {
			t.Errorf("Store.Close: %v", err)
		}
	})
	return s
}

// roundTrip sets key to value through b and reads it back.
func roundTrip(t *testing.T, b backend.Backend, key, value string) {
	t.Helper()
	ctx := context.Background()
	if err := b.Set(ctx, key, entryFor(value)); err != nil {
		t.Fatalf("Set(%s): %v", key, err)
	}
	e, ok, err := b.Get(ctx, key)
	if err != nil || !ok || string(e.Value) != value {
		t.Fatalf("Get(%s) = %q, %v, %v; want %q, true, nil", key, e.Value, ok, err, value)
	}
}

func TestBuildRedisStandalone(t *testing.T) {
	srv := redistest.Start(t)
	s := buildYAML(t, fmt.Sprintf(`  type: Redis
  url: %s/3
  prefix: "cfg:"
  pool_size: 4
  timeouts: {dial: 2s, read: 1s, write: 1s, operation: 1s}
  breaker: {failures: 3, open: 2s, probes: 1}
  value: {format: MsgPack, compression: {type: Zstd, level: 3}}
  key: {format: Binary}
`, srv.URL()))
	r, ok := s.Backend.(*redis.Backend)
	if !ok {
		t.Fatalf("Backend is %T, want *redis.Backend", s.Backend)
	}
	roundTrip(t, r, "k", "v")
	// The entry is in database 3 under the prefix, encoded (not the raw
	// value).
	got, err := r.Client().Get(context.Background(), "cfg:k").Result()
	if err != nil || got == "" || got == "v" {
		t.Errorf("raw value of cfg:k = %q, %v; want the encoded entry", got, err)
	}
	if n, err := srv.Do("DBSIZE"); err != nil || n != int64(0) {
		t.Errorf("DBSIZE of database 0 = %v, %v; want 0 (the entry is in database 3)", n, err)
	}
	if st := r.Stats(); st.Sets != 1 || st.Hits != 1 {
		t.Errorf("stats = %+v, want 1 set and 1 hit", st)
	}
}

func TestBuildRedisPassword(t *testing.T) {
	srv := redistest.Start(t)
	if _, err := srv.Do("CONFIG", "SET", "requirepass", "s3cret"); err != nil {
		t.Fatal(err)
	}
	good := buildYAML(t, fmt.Sprintf("  type: Redis\n  url: %s\n  password: s3cret\n", srv.URL()))
	roundTrip(t, good.Backend, "k", "v")

	bad := buildYAML(t, fmt.Sprintf("  type: Redis\n  url: %s\n  password: wrong\n  breaker: Disabled\n", srv.URL()))
	if err := bad.Backend.Set(context.Background(), "k", entryFor("v")); err == nil {
		t.Error("Set with a wrong password succeeded")
	}
}

func TestBuildRedisTopologies(t *testing.T) {
	cases := []struct {
		name string
		yaml func(t *testing.T) string
	}{
		{"cluster", func(t *testing.T) string {
			c := redistest.StartCluster(t, 3)
			return fmt.Sprintf("  type: Redis\n  cluster:\n    addresses: [%s]\n  prefix: \"{cfg}:\"\n", strings.Join(c.Addrs, ", "))
		}},
		{"sentinel", func(t *testing.T) string {
			s := redistest.StartSentinel(t)
			return fmt.Sprintf("  type: Redis\n  sentinel:\n    master: %s\n    addresses: [%s]\n  pool_size: 2\n",
				s.MasterName, strings.Join(s.Addrs, ", "))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := buildYAML(t, c.yaml(t))
			if _, ok := s.Backend.(*redis.Backend); !ok {
				t.Fatalf("Backend is %T, want *redis.Backend", s.Backend)
			}
			for i := range 10 {
				roundTrip(t, s.Backend, fmt.Sprintf("k%d", i), fmt.Sprintf("v%d", i))
			}
		})
	}
}

// TestBuildRedisInvalidation builds two instances of one file (memory
// over a shared Redis, with invalidation): an overwrite and a purge on one
// reach the other's L1.
func TestBuildRedisInvalidation(t *testing.T) {
	srv := redistest.Start(t)
	file := fmt.Sprintf(`  type: Composition
  l1: {type: Memory, max_bytes: 1MiB}
  l2: {type: Redis, url: "%s/0", prefix: "inv:"}
  invalidation: {channel: "inv:changes"}
`, srv.URL())
	a, b := buildYAML(t, file), buildYAML(t, file)
	for name, s := range map[string]*Store{"a": a, "b": b} {
		if len(s.Invalidators) != 1 {
			t.Fatalf("%s: %d invalidators, want 1", name, len(s.Invalidators))
		}
		select {
		case <-s.Invalidators[0].Ready():
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: the invalidator did not subscribe", name)
		}
		c, ok := s.Backend.(*composition.Composition)
		if !ok {
			t.Fatalf("%s: Backend is %T, want *composition.Composition", name, s.Backend)
		}
		l1, l2 := c.Layers()
		if _, ok := l1.(*memory.Backend); !ok {
			t.Fatalf("%s: L1 is %T, want *memory.Backend", name, l1)
		}
		if _, ok := l2.(*redis.Backend); !ok {
			t.Fatalf("%s: L2 is %T, want *redis.Backend", name, l2)
		}
	}
	ctx := context.Background()

	// b holds v1 in its L1; a overwrites it: b reads v2 once a's message
	// has dropped b's copy (without invalidation, b would serve v1 from
	// its L1 for the entry's hour).
	roundTrip(t, b.Backend, "k", "v1")
	if err := a.Backend.Set(ctx, "k", entryFor("v2")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b reads a's overwrite", func() bool {
		e, ok, err := b.Backend.Get(ctx, "k")
		return err == nil && ok && string(e.Value) == "v2"
	})
	if st := b.Invalidators[0].Stats(); st.Keys < 1 || st.Own < 1 {
		t.Errorf("b's invalidator stats = %+v, want a key from a and its own message", st)
	}

	// b holds k2; a purges everything: b's L1 is purged too.
	roundTrip(t, b.Backend, "k2", "x")
	p, ok := a.Backend.(backend.Purger)
	if !ok {
		t.Fatalf("%T is no Purger", a.Backend)
	}
	if _, err := p.Purge(ctx, ""); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b misses after a's purge", func() bool {
		_, ok, err := b.Backend.Get(ctx, "k2")
		return err == nil && !ok
	})
}

// eventually polls cond until it holds, failing the test after 10s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestBuildRedisConstructorError: a File made by hand, not by Parse, whose
// Redis backend redis.New rejects, fails at the backend's place, and what
// was built before is closed (goleak checks).
func TestBuildRedisConstructorError(t *testing.T) {
	f := &File{Name: "h.yaml", Backend: &Backend{
		Type: Composition, Loc: Loc{Path: "backend", Line: 3, Col: 3},
		Composition: &CompositionBackend{
			L1:           &Backend{Type: Memory, Loc: Loc{Path: "backend.l1", Line: 4, Col: 7}, Memory: &MemoryBackend{MaxBytes: 1 << 20}},
			L2:           &Backend{Type: Redis, Loc: Loc{Path: "backend.l2", Line: 5, Col: 7}, Redis: &RedisBackend{}},
			Invalidation: &Invalidation{Channel: "c"},
		},
	}}
	s, err := f.BuildStore(BuildOptions{})
	if s != nil || !errors.Is(err, ErrValue) || !strings.HasPrefix(err.Error(), "h.yaml:5:7: backend.l2: redis: no server") {
		t.Errorf("BuildStore = %v, %v; want a located error at backend.l2", s, err)
	}
}

// TestRedisValidateAtField: an error of redis's own Validate is reported
// at the value of the field it concerns (here a prefix whose tag key,
// "tags:" + prefix, would start with it).
func TestRedisValidateAtField(t *testing.T) {
	_, _, err := Parse("h.yaml", []byte("upstream: http://127.0.0.1:3000\nbackend:\n  type: Redis\n  url: redis://127.0.0.1:6379\n  prefix: \"tags:\"\n"))
	if err == nil || !errors.Is(err, ErrValue) || !strings.HasPrefix(err.Error(), `h.yaml:5:11: backend.prefix: redis: TagsKey "tags:tags:" starts with Prefix "tags:"`) {
		t.Errorf("Parse = %v; want the library's error at backend.prefix", err)
	}
}
