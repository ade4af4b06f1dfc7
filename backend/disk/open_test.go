package disk

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hitbox-go/hitbox/backend"
)

func TestOptionsValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		o     Options
		want  string // "" for valid
		field string // the OptionError's Field
	}{
		{"path only", Options{Path: "x.db"}, "", ""},
		{"no path", Options{}, "Path is required", "Path"},
		{"negative MaxBytes", Options{Path: "x.db", MaxBytes: -1}, "negative MaxBytes", "MaxBytes"},
		{"negative LockTimeout", Options{Path: "x.db", LockTimeout: -time.Second}, "negative LockTimeout", "LockTimeout"},
		{"bad codec", Options{Path: "x.db", Codec: backend.Codec{Format: 99}}, "unknown format", "Codec"},
		{"negative SweepInterval turns the sweep off", Options{Path: "x.db", SweepInterval: -1}, "", ""},
	}
	for _, tt := range tests {
		err := tt.o.Validate()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: Validate() = %v, want nil", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: Validate() = %v, want an error containing %q", tt.name, err, tt.want)
		}
		if oe := (*backend.OptionError)(nil); tt.want != "" && (!errors.As(err, &oe) || oe.Field != tt.field) {
			t.Errorf("%s: Validate() = %v, want an OptionError for %s", tt.name, err, tt.field)
		}
		if tt.want != "" {
			if _, err := New(tt.o); err == nil {
				t.Errorf("%s: New = nil error, want one", tt.name)
			}
		}
	}
}

// TestOpenErrors checks that a file New cannot use gives an error that
// wraps the right sentinel, names the file and says what to do, without
// hanging or panicking.
func TestOpenErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	garbage := make([]byte, 64<<10)
	for i := range garbage {
		garbage[i] = byte(i*7 + i>>8)
	}
	foreign := filepath.Join(dir, "foreign.db")
	rawDB(t, foreign, func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("theirs")); return err })
	future := filepath.Join(dir, "future.db")
	rawDB(t, future, func(tx *bolt.Tx) error {
		m, err := tx.CreateBucket(metaBucket)
		if err != nil {
			return err
		}
		return m.Put(formatKey, []byte{formatVersion + 1})
	})
	damaged := filepath.Join(dir, "damaged.db")
	rawDB(t, damaged, func(tx *bolt.Tx) error { return nil })
	data, err := os.ReadFile(damaged)
	if err != nil {
		t.Fatal(err)
	}
	pageSize := os.Getpagesize()
	for _, off := range []int{16 + 8, pageSize + 16 + 8} { // inside both meta pages
		data[off] ^= 0xff
	}
	write("damaged.db", data)

	tests := []struct {
		name string
		path string
		want error
		hint string
	}{
		{"garbage", write("garbage.db", garbage), ErrCorrupt, "delete it"},
		{"short text", write("short.db", []byte("hello, world")), ErrCorrupt, "delete it"},
		{"both meta pages damaged", damaged, ErrCorrupt, "delete it"},
		{"another program's bbolt file", foreign, ErrFormat, "another program"},
		{"newer format version", future, ErrFormat, "this build reads 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := New(Options{Path: tt.path, LockTimeout: 100 * time.Millisecond})
			if err == nil {
				_ = b.Close(context.Background())
				t.Fatalf("New(%s) = nil error, want one wrapping %v", tt.name, tt.want)
			}
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.path) || !strings.Contains(err.Error(), tt.hint) {
				t.Fatalf("New(%s) = %v, want an error wrapping %v that names %s and says %q", tt.name, err, tt.want, tt.path, tt.hint)
			}
			t.Logf("New(%s): %v", tt.name, err)
		})
	}

	t.Run("directory", func(t *testing.T) {
		_, err := New(Options{Path: dir})
		if err == nil || !strings.Contains(err.Error(), "is a directory") {
			t.Fatalf("New(a directory) = %v, want an error saying it is a directory", err)
		}
	})

	t.Run("locked", func(t *testing.T) {
		path := filepath.Join(dir, "locked.db")
		first := newBackend(t, Options{Path: path})
		start := time.Now()
		_, err := New(Options{Path: path, LockTimeout: 50 * time.Millisecond})
		if !errors.Is(err, ErrFileLocked) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "another path") {
			t.Fatalf("New on a file another Backend holds = %v, want an error wrapping ErrFileLocked naming the file", err)
		}
		t.Logf("New(locked): %v", err)
		if waited := time.Since(start); waited > 30*time.Second {
			t.Fatalf("New on a locked file returned after %v", waited)
		}
		// Once the first lets go, the file opens with what it holds.
		if err := first.Set(t.Context(), "k", backend.Entry{Value: []byte("v")}); err != nil {
			t.Fatal(err)
		}
		if err := first.Close(t.Context()); err != nil {
			t.Fatal(err)
		}
		second := newBackend(t, Options{Path: path})
		if e, ok, err := second.Get(t.Context(), "k"); err != nil || !ok || string(e.Value) != "v" {
			t.Fatalf("Get after reopening = %q, %v, %v; want \"v\", true, nil", e.Value, ok, err)
		}
	})
}

// rawDB makes a bbolt file at path with fn's changes.
func rawDB(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}
