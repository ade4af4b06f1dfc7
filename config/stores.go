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

// disk decodes `type: Disk`. Its values default to MsgPack, as
// backend/disk's do. When the fields had no error (clean), disk's own
// Validate checks the options.
func (d *decoder) disk(n *node, path string, fs map[string]entry, b *Backend, clean int) {
	k := &disk.Options{MaxBytes: disk.DefaultMaxBytes}
	b.Disk = k
	if b.Value.Format == 0 {
		b.Value.Format = backend.FormatMsgPack
	}
	d.required(fs, n, path, "path", "the store's file, e.g. /var/cache/hitboxd/cache.db")
	d.text(fs, "path", &k.Path, "a file path", "empty path (the store's file, e.g. /var/cache/hitboxd/cache.db)")
	set(fs, "max_bytes", &k.MaxBytes, d.size)
	if len(d.errs) == clean {
		k.Codec = b.Value
		d.validated(n, path, fs, map[string]string{"Path": "path", "MaxBytes": "max_bytes", "Codec": "value"}, k.Validate())
	}
}

// tarantool decodes `type: Tarantool`, checked by tarantool's Validate
// as for disk.
func (d *decoder) tarantool(n *node, path string, fs map[string]entry, b *Backend, clean int) {
	t := &tarantool.Options{Space: tarantool.DefaultSpace, Timeout: tarantool.DefaultTimeout}
	b.Tarantool = t
	d.required(fs, n, path, "address", "the Tarantool server's host:port, e.g. 127.0.0.1:3301")
	set(fs, "address", &t.Address, d.address)
	d.text(fs, "user", &t.User, "a user name", "")
	d.text(fs, "password", &t.Password, "a string", "")
	d.text(fs, "space", &t.Space, "a space name", "empty space (omit space for the default %q)", tarantool.DefaultSpace)
	set(fs, "timeout", &t.Timeout, d.positiveDuration)
	if len(d.errs) == clean {
		t.Codec = b.Value
		d.validated(n, path, fs, map[string]string{"Address": "address", "Space": "space", "Codec": "value"}, t.Validate())
	}
}

// diskFiles refuses a tree with two Disk stores on one file: the second
// could not open it.
func (d *decoder) diskFiles(root *Backend) {
	seen := map[string]*Backend{}
	root.each(func(b *Backend) {
		if b.Disk == nil || b.Disk.Path == "" {
			return
		}
		f := diskFile(b.Disk.Path)
		if first, dup := seen[f]; dup {
			d.failAt(joinLoc(b.Loc, "path"), ErrValue,
				"%s is the file of the Disk store at %s too: each Disk store needs a file of its own", b.Disk.Path, first.Loc.Path)
			return
		}
		seen[f] = b
	})
}

// diskFile is the absolute, clean form of a Disk store's path.
func diskFile(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return filepath.Clean(p)
}

// shared is a Disk or Tarantool store, which a reload's Store takes over
// when its settings did not change: the last Store holding it closes it.
type shared struct {
	id    string // the store's settings: its dump line, secrets included
	file  string // a Disk store's file (diskFile); "" for Tarantool
	b     backend.Backend
	close func(ctx context.Context) error

	mu   sync.Mutex
	refs int // the Stores holding it; 0 once closed
}

// hold takes n (0 or 1) more references unless sh was closed, and tells
// whether it is open.
func (sh *shared) hold(n int) bool {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.refs == 0 {
		return false
	}
	sh.refs += n
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

// adopt makes s hold sh (whose reference the caller took).
func (s *Store) adopt(sh *shared) {
	s.shared = append(s.shared, sh)
	s.closers = append(s.closers, sh.release)
	if t, ok := sh.b.(*tarantool.Backend); ok {
		s.Tarantool = append(s.Tarantool, t)
	}
}

// open opens b's Disk or Tarantool store.
func open(b *Backend, o BuildOptions) (backend.Backend, func(context.Context) error, error) {
	if b.Disk != nil {
		do := *b.Disk
		do.Codec, do.Now = b.Value, o.Now
		k, err := disk.New(do)
		if err != nil {
			return nil, nil, err
		}
		return k, k.Close, nil
	}
	to := *b.Tarantool
	to.Codec, to.Now = b.Value, o.Now
	t, err := tarantool.New(to)
	if err != nil {
		return nil, nil, err
	}
	return t, t.Close, nil
}

// leaf builds a Disk or Tarantool store, or takes over the one of
// o.Reuse with the same settings.
func (bl *builder) leaf(b *Backend, o BuildOptions, s *Store) backend.Backend {
	var w strings.Builder
	dumpBackend(&w, b, "", true)
	sh := &shared{id: w.String(), refs: 1}
	if b.Disk != nil {
		sh.file = diskFile(b.Disk.Path)
	}
	if o.Reuse != nil {
		for _, old := range o.Reuse.shared {
			if old.id == sh.id && old.hold(1) {
				s.adopt(old)
				return old.b
			}
		}
		for _, old := range o.Reuse.shared {
			if sh.file != "" && old.file == sh.file && old.hold(0) {
				bl.failAt(joinLoc(b.Loc, "path"), ErrValue,
					"%s is open in the running backend with other settings: a Disk store's settings change with a restart of hitboxd (its entries survive it), or give it another path",
					b.Disk.Path)
				return nil
			}
		}
	}
	switch {
	case o.Check:
		// An empty memory store stands in (Parse ran the store's Validate).
		m, err := memory.New(memory.Options{MaxBytes: 1 << 20})
		if !bl.checkAt(b.Loc, err) {
			return nil
		}
		sh.b, sh.close = m, m.Close
	default:
		var err error
		if sh.b, sh.close, err = open(b, o); !bl.checkAt(b.Loc, err) {
			return nil
		}
	}
	s.adopt(sh)
	return sh.b
}

// dumpDisk describes k after "Disk" on the dump's line.
func dumpDisk(w *strings.Builder, b *Backend, _ bool) {
	k := b.Disk
	fmt.Fprintf(w, " path=%q max_bytes=%s", k.Path, bytesize.Format(k.MaxBytes))
}

// dumpTarantool describes t after "Tarantool" on the dump's line; with
// secrets it shows the password, otherwise only whether it is set.
func dumpTarantool(w *strings.Builder, b *Backend, secrets bool) {
	t := b.Tarantool
	fmt.Fprintf(w, " address=%q", t.Address)
	if t.User != "" {
		fmt.Fprintf(w, " user=%q", t.User)
	}
	if t.Password != "" {
		w.WriteString(" password=" + secret(t.Password, secrets))
	}
	fmt.Fprintf(w, " space=%q timeout=%s", t.Space, durationText(t.Timeout))
}
