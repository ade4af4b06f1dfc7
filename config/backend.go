package config

import (
	"math"
	"slices"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/composition"
)

// Names the file may use for backend types, formats and policies, with
// hitbox's aliases. Index 0 is unused.
var (
	backendTypeInput = map[string]BackendType{
		"Memory": Memory, "Moka": Memory, "Redis": Redis, "Disk": Disk, "FeOxDb": Disk,
		"Tarantool": Tarantool, "Composition": Composition,
	}
	keyFormatInput   = map[string]hitbox.KeyFormat{"UrlEncoded": hitbox.KeyURLEncoded, "Binary": hitbox.KeyBinary, "Bitcode": hitbox.KeyBinary}
	valueFormatInput = map[string]backend.Format{"Json": backend.FormatJSON, "MsgPack": backend.FormatMsgPack,
		"Binary": backend.FormatBinary, "Bincode": backend.FormatBinary, "Rkyv": backend.FormatBinary}
	compressionInput = map[string]backend.Compression{"Disabled": backend.CompressionNone, "Gzip": backend.CompressionGzip, "Zstd": backend.CompressionZstd}
	readInput        = map[string]composition.ReadPolicy{"Sequential": composition.ReadSequential, "Race": composition.ReadRace, "Parallel": composition.ReadParallel}
	writeInput       = map[string]composition.WritePolicy{"OptimisticParallel": composition.WriteOptimisticParallel, "Sequential": composition.WriteSequential, "Race": composition.WriteRace}
	refillInput      = map[string]composition.RefillPolicy{"Never": composition.RefillNever, "Always": composition.RefillAlways}
)

// lookup reads n as one of the names of m.
func lookup[T any](d *decoder, n *node, path, what string, m map[string]T) (T, bool) {
	var zero T
	names := sortedKeys(m)
	i, ok := d.enum(n, path, what, append([]string{""}, names...))
	if !ok {
		return zero, false
	}
	return m[names[i-1]], true
}

func sortedKeys[T any](m map[string]T) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func defaultBackend() *Backend {
	return &Backend{Type: Memory, Loc: Loc{Path: "backend"}, Memory: &MemoryBackend{MaxBytes: DefaultMaxBytes}}
}

var backendFields = map[BackendType][]string{
	Memory: {"type", "key", "value", "max_bytes", "max_capacity"},
	Redis: {"type", "key", "value", "url", "cluster", "sentinel", "username", "password", "prefix", "pool_size",
		"timeouts", "breaker"},
	Disk:        {"type", "key", "value", "path", "max_bytes"},
	Tarantool:   {"type", "key", "value", "address", "user", "password", "space", "timeout"},
	Composition: {"type", "key", "l1", "l2", "policy", "invalidation"},
}

func (d *decoder) backend(n *node, path string) *Backend {
	b := &Backend{Type: Memory, Loc: loc(n, path)}
	clean := len(d.errs)
	if n.kind != kindMap {
		d.wrongType(n, path, "a backend mapping (type: Memory, ...)")
		return b
	}
	var known []string
	for _, t := range []BackendType{Memory, Redis, Disk, Tarantool, Composition} {
		for _, f := range backendFields[t] {
			if !slices.Contains(known, f) {
				known = append(known, f)
			}
		}
	}
	if t := n.get("type"); t != nil {
		if typ, ok := lookup(d, t, joinPath(path, "type"), "backend type", backendTypeInput); ok {
			b.Type = typ
			known = backendFields[typ]
		}
	}
	fs, _ := d.fields(n, path, "", false, known...)
	if e, ok := fs["key"]; ok {
		kf, _ := d.fields(e.val, e.path, "a mapping (format)", false, "format")
		if f, ok := kf["format"]; ok {
			b.Key, _ = lookup(d, f.val, f.path, "key format", keyFormatInput)
		}
	}
	if e, ok := fs["value"]; ok {
		b.Value = d.codec(e.val, e.path)
	}
	switch b.Type {
	case Memory:
		b.Memory = d.memory(n, path, fs)
	case Redis:
		b.Redis = d.redis(n, path, fs)
	case Disk:
		b.Disk = d.disk(n, path, fs, &b.Value, clean)
	case Tarantool:
		b.Tarantool = d.tarantool(n, path, fs, b.Value, clean)
	case Composition:
		b.Composition = d.composition(n, path, fs)
	}
	return b
}

func (d *decoder) memory(n *node, path string, fs map[string]entry) *MemoryBackend {
	m := &MemoryBackend{}
	mb, hasBytes := fs["max_bytes"]
	mc, hasCap := fs["max_capacity"]
	switch {
	case hasBytes && hasCap:
		d.fail(mc.key, mc.path, ErrValue, "max_bytes and max_capacity exclude each other: bound the store by bytes or by entries")
	case hasBytes:
		m.MaxBytes, _ = d.size(mb.val, mb.path)
	case hasCap:
		m.MaxCapacity, _ = d.integer(mc.val, mc.path, 1, math.MaxInt64)
	default:
		m.MaxBytes = DefaultMaxBytes
	}
	return m
}

func (d *decoder) codec(n *node, path string) backend.Codec {
	var c backend.Codec
	fs, ok := d.fields(n, path, "a mapping (format, compression)", false, "format", "compression")
	if !ok {
		return c
	}
	if e, ok := fs["format"]; ok {
		c.Format, _ = lookup(d, e.val, e.path, "value format", valueFormatInput)
	}
	e, ok := fs["compression"]
	if !ok {
		return c
	}
	if e.val.kind == kindString {
		c.Compression, _ = lookup(d, e.val, e.path, "compression", compressionInput)
		return c
	}
	cf, ok := d.fields(e.val, e.path, "a compression mapping (type, level) or name", false, "type", "level")
	if !ok {
		return c
	}
	if t, ok := cf["type"]; ok {
		c.Compression, _ = lookup(d, t.val, t.path, "compression", compressionInput)
	} else {
		d.fail(e.val, joinPath(e.path, "type"), ErrMissing, "missing type (Disabled, Gzip or Zstd)")
	}
	if l, ok := cf["level"]; ok {
		switch c.Compression {
		case backend.CompressionGzip:
			level, _ := d.integer(l.val, l.path, 1, 9)
			c.Level = int(level)
		case backend.CompressionZstd:
			level, _ := d.integer(l.val, l.path, 1, 22)
			c.Level = int(level)
		case backend.CompressionNone:
			d.fail(l.key, l.path, ErrValue, "a level needs a compression (Gzip or Zstd)")
		}
	}
	return c
}

func (d *decoder) composition(n *node, path string, fs map[string]entry) *CompositionBackend {
	c := &CompositionBackend{Read: composition.ReadSequential, Write: composition.WriteOptimisticParallel, Refill: composition.RefillNever}
	for _, layer := range []string{"l1", "l2"} {
		e, ok := fs[layer]
		var b *Backend
		if ok {
			b = d.backend(e.val, e.path)
		} else {
			d.fail(n, joinPath(path, layer), ErrMissing, "missing %s (a composition stacks l1 over l2)", layer)
			b = &Backend{Type: Memory, Loc: Loc{Path: joinPath(path, layer)}, Memory: &MemoryBackend{MaxBytes: DefaultMaxBytes}}
		}
		if layer == "l1" {
			c.L1 = b
		} else {
			c.L2 = b
		}
	}
	if e, ok := fs["invalidation"]; ok {
		c.Invalidation = d.invalidation(e, c)
	}
	if e, ok := fs["policy"]; ok {
		pf, _ := d.fields(e.val, e.path, "a mapping (read, write, refill)", true, "read", "write", "refill")
		if r, ok := pf["read"]; ok {
			if v, ok := lookup(d, r.val, r.path, "read policy", readInput); ok {
				c.Read = v
			}
		}
		if w, ok := pf["write"]; ok {
			if v, ok := lookup(d, w.val, w.path, "write policy", writeInput); ok {
				c.Write = v
			}
		}
		if r, ok := pf["refill"]; ok {
			if v, ok := lookup(d, r.val, r.path, "refill policy", refillInput); ok {
				c.Refill = v
			}
		}
	}
	return c
}

// keyFormats checks that the backends of a tree agree on their key
// format: a composition hands both layers the same encoded key.
func (d *decoder) keyFormats(root *Backend) {
	var first *Backend
	var walk func(b *Backend)
	walk = func(b *Backend) {
		if b == nil {
			return
		}
		if b.Key != 0 {
			if first == nil {
				first = b
			} else if b.Key != first.Key {
				d.fail(&node{line: b.Loc.Line, col: b.Loc.Col}, b.Loc.Path+".key", ErrValue,
					"key format %v differs from %v at %s: the backends of a composition share one key format", b.Key, first.Key, first.Loc.Path)
			}
		}
		if b.Composition != nil {
			walk(b.Composition.L1)
			walk(b.Composition.L2)
		}
	}
	walk(root)
}

// KeyFormat returns the key format of the backend tree: the one its
// backends write (they agree), or UrlEncoded.
func (b *Backend) KeyFormat() hitbox.KeyFormat {
	if b == nil {
		return hitbox.KeyURLEncoded
	}
	if b.Key != 0 {
		return b.Key
	}
	if b.Composition != nil {
		if k := b.Composition.L1.KeyFormat(); b.Composition.L1 != nil && b.Composition.L1.hasKey() {
			return k
		}
		return b.Composition.L2.KeyFormat()
	}
	return hitbox.KeyURLEncoded
}

func (b *Backend) hasKey() bool {
	if b == nil {
		return false
	}
	if b.Key != 0 {
		return true
	}
	return b.Composition != nil && (b.Composition.L1.hasKey() || b.Composition.L2.hasKey())
}
