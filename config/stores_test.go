package config

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend/disk"
	"github.com/hitbox-go/hitbox/backend/tarantool"
	"github.com/hitbox-go/hitbox/composition"
	"github.com/hitbox-go/hitbox/internal/tarantooltest"
)

// parseBackend parses a file whose backend section is backendYAML.
func parseBackend(t *testing.T, backendYAML string) *File {
	t.Helper()
	f, _, err := Parse("hitboxd.yaml", []byte("upstream: http://127.0.0.1:3000\nbackend:\n"+backendYAML))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return f
}

func buildStore(t *testing.T, f *File, o BuildOptions) *Store {
	t.Helper()
	s, err := f.BuildStore(o)
	if err != nil {
		t.Fatalf("BuildStore: %v", err)
	}
	return s
}

func closeStore(t *testing.T, s *Store) {
	t.Helper()
	if err := s.Close(context.Background()); err != nil {
		t.Fatalf("Store.Close: %v", err)
	}
}

func TestBuildDiskSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "cache.db")
	f := parseBackend(t, fmt.Sprintf(`  type: Composition
  l1: {type: Memory, max_bytes: 1MiB}
  l2: {type: FeOxDb, path: %q, max_bytes: 8MiB}
`, path))
	s := buildStore(t, f, BuildOptions{})
	if _, ok := s.Backend.(*composition.Composition); !ok {
		t.Fatalf("root = %T, want a composition", s.Backend)
	}
	roundTrip(t, s.Backend, "k", "v")
	closeStore(t, s)

	d := parseBackend(t, fmt.Sprintf("  {type: Disk, path: %q, max_bytes: 8MiB}\n", path))
	s = buildStore(t, d, BuildOptions{})
	defer closeStore(t, s)
	if _, ok := s.Backend.(*disk.Backend); !ok {
		t.Fatalf("root = %T, want *disk.Backend", s.Backend)
	}
	e, ok, err := s.Backend.Get(context.Background(), "k")
	if err != nil || !ok || string(e.Value) != "v" {
		t.Fatalf("Get after reopening = %q, %v, %v; want v from the file", e.Value, ok, err)
	}
}

func TestBuildDiskLockedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.db")
	f := parseBackend(t, fmt.Sprintf("  {type: Disk, path: %q}\n", path))
	s := buildStore(t, f, BuildOptions{})
	defer closeStore(t, s)
	_, err := f.BuildStore(BuildOptions{})
	var errs Errors
	if !errors.Is(err, disk.ErrFileLocked) || !errors.As(err, &errs) || errs[0].Line != 3 || errs[0].Path != "backend" {
		t.Fatalf("second BuildStore on one file = %v, want an error at 3:N backend wrapping disk.ErrFileLocked", err)
	}
}

func TestBuildCheckOpensNoDiskFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dir", "cache.db")
	f := parseBackend(t, fmt.Sprintf("  {type: Composition, l1: {type: Disk, path: %q}, l2: {type: Tarantool, address: \"127.0.0.1:1\"}}\n", path))
	s := buildStore(t, f, BuildOptions{Check: true})
	if len(s.Tarantool) != 0 {
		t.Errorf("a Check build made %d Tarantool backends (they connect at once), want none", len(s.Tarantool))
	}
	roundTrip(t, s.Backend, "k", "v")
	closeStore(t, s)
	if _, err := os.Stat(filepath.Dir(path)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a Check build created %s (stat: %v)", filepath.Dir(path), err)
	}
}

// TestBuildReuseKeepsDisk is a reload that changes the L1 and keeps the
// Disk L2: the new tree takes the open store over (it could not open the
// locked file again), and it stays open until both trees closed.
func TestBuildReuseKeepsDisk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.db")
	tree := func(l1 string) *File {
		return parseBackend(t, fmt.Sprintf("  {type: Composition, l1: {type: Memory, max_bytes: %s}, l2: {type: Disk, path: %q}}\n", l1, path))
	}
	old := buildStore(t, tree("1MiB"), BuildOptions{})
	roundTrip(t, old.Backend, "before", "1")
	cur := buildStore(t, tree("2MiB"), BuildOptions{Reuse: old})
	if old.shared[0].b != cur.shared[0].b {
		t.Fatal("the reload opened a second Disk store instead of taking the running one over")
	}
	closeStore(t, old)
	e, ok, err := cur.Backend.Get(context.Background(), "before")
	if err != nil || !ok || string(e.Value) != "1" {
		t.Fatalf("Get through the new tree after the old one closed = %q, %v, %v; want 1", e.Value, ok, err)
	}
	roundTrip(t, cur.Backend, "after", "2")
	closeStore(t, cur)
	closeStore(t, cur) // a second Close does nothing

	// Both closed: the file's lock is free.
	again := buildStore(t, tree("1MiB"), BuildOptions{})
	closeStore(t, again)
}

func TestBuildReuseDiskOtherSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache.db")
	old := buildStore(t, parseBackend(t, fmt.Sprintf("  {type: Disk, path: %q, max_bytes: 1MiB}\n", path)), BuildOptions{})
	defer closeStore(t, old)
	f := parseBackend(t, fmt.Sprintf("  type: Composition\n  l1: {type: Memory}\n  l2: {type: Disk, path: %q, max_bytes: 2MiB}\n", path))
	_, err := f.BuildStore(BuildOptions{Reuse: old})
	if err == nil || !strings.Contains(err.Error(), "hitboxd.yaml:5:8: backend.l2.path: ") ||
		!strings.Contains(err.Error(), "open in the running backend with other settings") {
		t.Fatalf("BuildStore = %v, want an error at backend.l2.path saying the file is open with other settings", err)
	}
	roundTrip(t, old.Backend, "k", "v") // the running store is untouched
}

func TestBuildTarantool(t *testing.T) {
	srv := tarantooltest.Start(t)
	f := parseBackend(t, fmt.Sprintf(`  type: Composition
  l1: {type: Memory}
  l2: {type: Tarantool, address: %q, user: %s, password: %q, space: cfgtest, timeout: 2s}
`, srv.Addr, tarantooltest.User, tarantooltest.Password))
	s := buildStore(t, f, BuildOptions{})
	if len(s.Tarantool) != 1 {
		t.Fatalf("Store.Tarantool has %d backends, want 1", len(s.Tarantool))
	}
	waitPing(t, s.Tarantool[0])
	roundTrip(t, s.Tarantool[0], "k", "v")
	e, ok, err := s.Backend.Get(context.Background(), "k")
	if err != nil || !ok || string(e.Value) != "v" {
		t.Fatalf("Get through the composition = %q, %v, %v; want v from Tarantool", e.Value, ok, err)
	}
	// A reload that keeps the section keeps the connections.
	cur := buildStore(t, f, BuildOptions{Reuse: s})
	if cur.Tarantool[0] != s.Tarantool[0] {
		t.Error("a reload with the same Tarantool settings made a new backend")
	}
	closeStore(t, s)
	roundTrip(t, cur.Tarantool[0], "k2", "v2")
	closeStore(t, cur)
}

// waitPing polls until b answers: it connects in the background.
func waitPing(t *testing.T, b *tarantool.Backend) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := b.Ping(context.Background())
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Tarantool did not answer within 30s: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
