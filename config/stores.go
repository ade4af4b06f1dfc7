package config

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/disk"
	"github.com/hitbox-go/hitbox/backend/memory"
	"github.com/hitbox-go/hitbox/backend/tarantool"
	"github.com/hitbox-go/hitbox/internal/bytesize"
)

// disk decodes the fields of `type: Disk` (fs, from the backend mapping n
// at path). A Disk store's values default to MsgPack, as backend/disk's
// do: codec is the backend's value codec, its zero format filled in. The
// options are then checked by disk's own Validate when the fields had no
// error (clean).
func (d *decoder) disk(n *node, path string, fs map[string]entry, codec *backend.Codec, clean int) *DiskBackend {
	k := &DiskBackend{MaxBytes: disk.DefaultMaxBytes}
	if codec.Format == 0 {
		codec.Format = backend.FormatMsgPack
	}
	if e, ok := fs["path"]; ok {
		if s, ok := d.str(e.val, e.path, "a file path"); ok {
			if s == "" {
				d.fail(e.val, e.path, ErrValue, "empty path (the store's file, e.g. /var/cache/hitboxd/cache.db)")
			}
			k.Path = s
		}
	} else {
		d.fail(n, joinPath(path, "path"), ErrMissing, "missing path (the store's file, e.g. /var/cache/hitboxd/cache.db)")
	}
	if e, ok := fs["max_bytes"]; ok {
		if v, ok := d.size(e.val, e.path); ok {
			k.MaxBytes = v
		}
	}
	if len(d.errs) == clean {
		if err := diskOptions(k, *codec, BuildOptions{}).Validate(); err != nil {
			d.fail(n, path, ErrValue, "%v", err)
		}
	}
	return k
}

// tarantool decodes the fields of `type: Tarantool`; its options are then
// checked by tarantool's own Validate, as for [decoder.disk].
func (d *decoder) tarantool(n *node, path string, fs map[string]entry, codec backend.Codec, clean int) *TarantoolBackend {
	t := &TarantoolBackend{Space: tarantool.DefaultSpace, Timeout: tarantool.DefaultTimeout}
	if e, ok := fs["address"]; ok {
		if s, ok := d.str(e.val, e.path, "an address (host:port)"); ok && d.address(e.val, e.path, s) {
			t.Address = s
		}
	} else {
		d.fail(n, joinPath(path, "address"), ErrMissing, "missing address (the Tarantool server's host:port, e.g. 127.0.0.1:3301)")
	}
	if e, ok := fs["user"]; ok {
		t.User, _ = d.str(e.val, e.path, "a user name")
	}
	if e, ok := fs["password"]; ok {
		t.Password, _ = d.str(e.val, e.path, "a string")
	}
	if e, ok := fs["space"]; ok {
		if s, ok := d.str(e.val, e.path, "a space name"); ok {
			if s == "" {
				d.fail(e.val, e.path, ErrValue, "empty space (omit space for the default %q)", tarantool.DefaultSpace)
			} else {
				t.Space = s
			}
		}
	}
	if e, ok := fs["timeout"]; ok {
		if v, ok := d.positiveDuration(e.val, e.path); ok {
			t.Timeout = v
		}
	}
	if len(d.errs) == clean {
		if err := tarantoolOptions(t, codec, BuildOptions{}).Validate(); err != nil {
			at, atPath := n, path
			if e, ok := fs["space"]; ok && strings.Contains(err.Error(), "Space") {
				at, atPath = e.val, e.path
			}
			d.fail(at, atPath, ErrValue, "%v", err)
		}
	}
	return t
}

// diskFiles refuses a tree with two Disk stores on one file: the second
// could not open it.
func (d *decoder) diskFiles(root *Backend) {
	seen := map[string]*Backend{}
	var walk func(b *Backend)
	walk = func(b *Backend) {
		switch {
		case b == nil:
		case b.Disk != nil && b.Disk.Path != "":
			f := diskFile(b.Disk.Path)
			if first, dup := seen[f]; dup {
				d.fail(&node{line: b.Loc.Line, col: b.Loc.Col}, b.Loc.Path+".path", ErrValue,
					"%s is the file of the Disk store at %s too: each Disk store needs a file of its own", b.Disk.Path, first.Loc.Path)
				return
			}
			seen[f] = b
		case b.Composition != nil:
			walk(b.Composition.L1)
			walk(b.Composition.L2)
		}
	}
	walk(root)
}

// diskFile is the absolute, clean form of a Disk store's path, which
// tells two spellings of one file apart from two files.
func diskFile(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return filepath.Clean(p)
}

func diskOptions(k *DiskBackend, codec backend.Codec, o BuildOptions) disk.Options {
	return disk.Options{Path: k.Path, MaxBytes: k.MaxBytes, Codec: codec, Now: o.Now}
}

func tarantoolOptions(t *TarantoolBackend, codec backend.Codec, o BuildOptions) tarantool.Options {
	return tarantool.Options{Address: t.Address, User: t.User, Password: t.Password, Space: t.Space,
		Timeout: t.Timeout, Codec: codec, Now: o.Now}
}

// shared is a Disk or Tarantool store of a [Store], which the Store built
// by a reload takes over when its settings did not change
// ([BuildOptions.Reuse]): the last Store holding it closes it.
type shared struct {
	id    string // the store's settings: its dump line, secrets included
	file  string // a Disk store's file (diskFile); "" for Tarantool
	b     backend.Backend
	close func(ctx context.Context) error

	mu   sync.Mutex
	refs int // the Stores holding it; 0 once closed
}

// acquire takes a reference unless sh was closed.
func (sh *shared) acquire() bool {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.refs == 0 {
		return false
	}
	sh.refs++
	return true
}

// release drops a reference and closes the store with the last one.
func (sh *shared) release(ctx context.Context) error {
	sh.mu.Lock()
	sh.refs--
	last := sh.refs == 0
	sh.mu.Unlock()
	if !last {
		return nil
	}
	return sh.close(ctx)
}

func (sh *shared) open() bool {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.refs > 0
}

// adopt makes s hold sh (whose reference the caller took).
func (s *Store) adopt(sh *shared) {
	s.shared = append(s.shared, sh)
	s.closers = append(s.closers, sh.release)
	if t, ok := sh.b.(*tarantool.Backend); ok {
		s.Tarantool = append(s.Tarantool, t)
	}
}

// leaf builds a Disk or Tarantool store, or takes over the one of
// o.Reuse with the same settings.
func (bl *builder) leaf(b *Backend, o BuildOptions, s *Store) backend.Backend {
	var w strings.Builder
	dumpBackend(&w, b, "", true)
	sh := &shared{id: w.String(), refs: 1}
	if b.Type == Disk {
		sh.file = diskFile(b.Disk.Path)
	}
	if o.Reuse != nil {
		for _, old := range o.Reuse.shared {
			if old.id == sh.id && old.acquire() {
				s.adopt(old)
				return old.b
			}
		}
		for _, old := range o.Reuse.shared {
			if sh.file != "" && old.file == sh.file && old.open() {
				bl.fail(joinLoc(b.Loc, "path"), ErrValue,
					"%s is open in the running backend with other settings: a Disk store's settings change with a restart of hitboxd (its entries survive it), or give it another path",
					b.Disk.Path)
				return nil
			}
		}
	}
	switch {
	case o.Check:
		// check must neither create a Disk file nor wait for the lock of
		// a running hitboxd, nor connect anywhere: an empty memory store
		// stands in (Parse ran the store's own Validate).
		m, err := memory.New(memory.Options{MaxBytes: 1 << 20})
		if !bl.check(b.Loc, err) {
			return nil
		}
		sh.b, sh.close = m, m.Close
	case b.Type == Disk:
		k, err := disk.New(diskOptions(b.Disk, b.Value, o))
		if !bl.check(b.Loc, err) {
			return nil
		}
		sh.b, sh.close = k, k.Close
	default:
		t, err := tarantool.New(tarantoolOptions(b.Tarantool, b.Value, o))
		if !bl.check(b.Loc, err) {
			return nil
		}
		sh.b, sh.close = t, t.Close
	}
	s.adopt(sh)
	return sh.b
}

// dumpDisk describes k after "Disk" on the dump's line.
func dumpDisk(w *strings.Builder, k *DiskBackend) {
	fmt.Fprintf(w, " path=%q max_bytes=%s", k.Path, bytesize.Format(k.MaxBytes))
}

// dumpTarantool describes t after "Tarantool" on the dump's line; with
// secrets it shows the password, otherwise only whether it is set.
func dumpTarantool(w *strings.Builder, t *TarantoolBackend, secrets bool) {
	fmt.Fprintf(w, " address=%q", t.Address)
	if t.User != "" {
		fmt.Fprintf(w, " user=%q", t.User)
	}
	if t.Password != "" {
		w.WriteString(" password=" + secret(t.Password, secrets))
	}
	fmt.Fprintf(w, " space=%q timeout=%s", t.Space, durationText(t.Timeout))
}
