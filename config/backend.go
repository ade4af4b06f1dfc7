package config

import (
	"cmp"
	"errors"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/disk"
	"github.com/hitbox-go/hitbox/backend/memory"
	"github.com/hitbox-go/hitbox/backend/redis"
	"github.com/hitbox-go/hitbox/backend/tarantool"
	"github.com/hitbox-go/hitbox/composition"
)

// BackendType names a backend kind as the file does.
type BackendType int

// The backend types of docs/config.md.
const (
	// Memory is the in-process store (hitbox's Moka).
	Memory BackendType = iota + 1
	// Redis is a Redis server.
	Redis
	// Disk is an embedded on-disk store (hitbox's FeOxDb).
	Disk
	// Tarantool is a Tarantool server.
	Tarantool
	// Composition stacks two backends, L1 over L2.
	Composition
)

// String returns the type's name as the file writes it.
func (t BackendType) String() string {
	if k, ok := t.kind(); ok {
		return k.names[0]
	}
	return "BackendType(" + strconv.Itoa(int(t)) + ")"
}

// backendKind is a row of the backend table: the type's names (its own,
// then hitbox's aliases), the fields of its mapping, and how it is
// decoded into its field of [Backend], built and dumped (after its name).
// A new store is a row, a field of Backend and its entry in schema.json.
type backendKind struct {
	names, fields []string
	decode        func(d *decoder, n *node, path string, fs map[string]entry, b *Backend, clean int)
	build         func(bl *builder, b *Backend, o BuildOptions, s *Store) backend.Backend
	dump          func(w *strings.Builder, b *Backend, secrets bool)
}

// kind returns t's row of the backend table.
func (t BackendType) kind() (backendKind, bool) {
	switch t {
	case Memory:
		return backendKind{[]string{"Memory", "Moka"}, []string{"type", "key", "value", "max_bytes", "max_capacity"},
			(*decoder).memory, (*builder).memory, dumpMemory}, true
	case Redis:
		return backendKind{[]string{"Redis"}, []string{"type", "key", "value", "url", "cluster", "sentinel",
			"username", "password", "prefix", "pool_size", "timeouts", "breaker"}, (*decoder).redis, (*builder).redis, dumpRedis}, true
	case Disk:
		return backendKind{[]string{"Disk", "FeOxDb"}, []string{"type", "key", "value", "path", "max_bytes"},
			(*decoder).disk, (*builder).leaf, dumpDisk}, true
	case Tarantool:
		return backendKind{[]string{"Tarantool"}, []string{"type", "key", "value", "address", "user", "password", "space", "timeout"},
			(*decoder).tarantool, (*builder).leaf, dumpTarantool}, true
	case Composition:
		return backendKind{[]string{"Composition"}, []string{"type", "key", "l1", "l2", "policy", "invalidation"},
			(*decoder).composition, (*builder).composition, dumpComposition}, true
	}
	return backendKind{}, false
}

// Backend is one node of the backend tree. Exactly the field of its Type
// is set, holding the store package's options.
type Backend struct {
	Type BackendType
	Loc  Loc
	// Key is the key format (zero: not written).
	Key hitbox.KeyFormat
	// Value is how entries are serialized and compressed.
	Value backend.Codec

	Memory      *MemoryBackend
	Redis       *RedisBackend
	Disk        *disk.Options
	Tarantool   *tarantool.Options
	Composition *CompositionBackend
}

// MemoryBackend is `type: Memory`.
type MemoryBackend = memory.Options

// RedisBackend is `type: Redis`.
type RedisBackend = redis.Options

// CompositionBackend is `type: Composition`: L1 over L2.
type CompositionBackend struct {
	L1, L2 *Backend
	composition.Options
	// Invalidation, when set, keeps L1 coherent with other instances.
	Invalidation *Invalidation
}

// Invalidation is a composition's `invalidation` (docs/config.md).
type Invalidation struct {
	// Channel is the Redis pub/sub channel.
	Channel string
}

// each calls f on b and the backends below it, L1 before L2.
func (b *Backend) each(f func(*Backend)) {
	if b == nil {
		return
	}
	f(b)
	if c := b.Composition; c != nil {
		c.L1.each(f)
		c.L2.each(f)
	}
}

// enumOf is an enum's names, as its package writes and parses them, and
// aliases.
func enumOf[T ~int](str func(T) string, parse func(string) (T, error), aliases map[string]T) map[string]T {
	m := map[string]T{}
	maps.Copy(m, aliases)
	for i := T(1); ; i++ {
		if v, err := parse(str(i)); err != nil || v != i {
			return m
		}
		m[str(i)] = i
	}
}

var (
	keyFormatInput   = enumOf(hitbox.KeyFormat.String, hitbox.ParseKeyFormat, map[string]hitbox.KeyFormat{"Bitcode": hitbox.KeyBinary})
	valueFormatInput = enumOf(backend.Format.String, backend.ParseFormat,
		map[string]backend.Format{"Bincode": backend.FormatBinary, "Rkyv": backend.FormatBinary})
	compressionInput = enumOf(backend.Compression.String, backend.ParseCompression, nil)
	readInput        = enumOf(composition.ReadPolicy.String, composition.ParseReadPolicy, nil)
	writeInput       = enumOf(composition.WritePolicy.String, composition.ParseWritePolicy, nil)
	refillInput      = enumOf(composition.RefillPolicy.String, composition.ParseRefillPolicy, nil)
)

// lookupOf returns a reader of one of the names of m.
func lookupOf[T any](d *decoder, what string, m map[string]T) func(*node, string) (T, bool) {
	names := slices.Sorted(maps.Keys(m))
	return func(n *node, path string) (T, bool) {
		i, ok := d.enum(n, path, what, append([]string{""}, names...))
		if !ok {
			return *new(T), false
		}
		return m[names[i-1]], true
	}
}

func defaultBackend() *Backend {
	return &Backend{Type: Memory, Loc: Loc{Path: "backend"}, Memory: &MemoryBackend{MaxBytes: memory.DefaultMaxBytes}}
}

func (d *decoder) backend(n *node, path string) *Backend {
	b := &Backend{Type: Memory, Loc: loc(n, path)}
	clean := len(d.errs)
	if n.kind != kindMap {
		d.wrongType(n, path, "a backend mapping (type: Memory, ...)")
		return b
	}
	var known []string
	types := map[string]BackendType{}
	for t := Memory; t <= Composition; t++ {
		k, _ := t.kind()
		for _, f := range k.fields {
			if !slices.Contains(known, f) {
				known = append(known, f)
			}
		}
		for _, name := range k.names {
			types[name] = t
		}
	}
	if t := n.get("type"); t != nil {
		if typ, ok := lookupOf(d, "backend type", types)(t, joinPath(path, "type")); ok {
			b.Type = typ
			k, _ := typ.kind()
			known = k.fields
		}
	}
	fs, _ := d.fields(n, path, "", false, known...)
	if e, ok := fs["key"]; ok {
		kf, _ := d.fields(e.val, e.path, "a mapping (format)", false, "format")
		set(kf, "format", &b.Key, lookupOf(d, "key format", keyFormatInput))
	}
	if e, ok := fs["value"]; ok {
		b.Value = d.codec(e.val, e.path)
	}
	k, _ := b.Type.kind()
	k.decode(d, n, path, fs, b, clean)
	return b
}

func (d *decoder) memory(_ *node, _ string, fs map[string]entry, b *Backend, _ int) {
	b.Memory = &MemoryBackend{}
	mb, hasBytes := fs["max_bytes"]
	mc, hasCap := fs["max_capacity"]
	switch {
	case hasBytes && hasCap:
		d.fail(mc.key, mc.path, ErrValue, "max_bytes and max_capacity exclude each other: bound the store by bytes or by entries")
	case hasBytes:
		b.Memory.MaxBytes, _ = d.size(mb.val, mb.path)
	case hasCap:
		c, _ := d.integer(mc.val, mc.path, 1, math.MaxInt64)
		b.Memory.MaxEntries = int(min(c, math.MaxInt))
	default:
		b.Memory.MaxBytes = memory.DefaultMaxBytes
	}
}

func (d *decoder) codec(n *node, path string) backend.Codec {
	var c backend.Codec
	fs, ok := d.fields(n, path, "a mapping (format, compression)", false, "format", "compression")
	if !ok {
		return c
	}
	set(fs, "format", &c.Format, lookupOf(d, "value format", valueFormatInput))
	e, ok := fs["compression"]
	if !ok {
		return c
	}
	cf := map[string]entry{"type": e} // a name alone
	if e.val.kind != kindString {
		if cf, ok = d.fields(e.val, e.path, "a compression mapping (type, level) or name", false, "type", "level"); !ok {
			return c
		}
		d.required(cf, e.val, e.path, "type", "Disabled, Gzip or Zstd")
	}
	set(cf, "type", &c.Compression, lookupOf(d, "compression", compressionInput))
	if l, ok := cf["level"]; ok {
		lo, hi := c.Compression.Levels() // a level written is one of them, not 0 (the default)
		if c.Compression == backend.CompressionNone {
			d.fail(l.key, l.path, ErrValue, "a level needs a compression (Gzip or Zstd)")
		} else if hi > 0 {
			level, _ := d.integer(l.val, l.path, int64(lo), int64(hi))
			c.Level = int(level)
		}
	}
	return c
}

func (d *decoder) composition(n *node, path string, fs map[string]entry, b *Backend, _ int) {
	c := &CompositionBackend{Options: composition.Options{Read: composition.ReadSequential,
		Write: composition.WriteOptimisticParallel, Refill: composition.RefillNever}}
	b.Composition = c
	for i, layer := range []**Backend{&c.L1, &c.L2} {
		name := "l" + strconv.Itoa(i+1)
		if e, ok := fs[name]; ok {
			*layer = d.backend(e.val, e.path)
		} else {
			d.fail(n, joinPath(path, name), ErrMissing, "missing %s (a composition stacks l1 over l2)", name)
			*layer = defaultBackend()
			(*layer).Loc.Path = joinPath(path, name)
		}
	}
	if e, ok := fs["invalidation"]; ok {
		c.Invalidation = d.invalidation(e, c)
	}
	if e, ok := fs["policy"]; ok {
		pf, _ := d.fields(e.val, e.path, "a mapping (read, write, refill)", true, "read", "write", "refill")
		set(pf, "read", &c.Read, lookupOf(d, "read policy", readInput))
		set(pf, "write", &c.Write, lookupOf(d, "write policy", writeInput))
		set(pf, "refill", &c.Refill, lookupOf(d, "refill policy", refillInput))
	}
}

// validated reports err, from a store's Validate, at the value of the
// field it concerns (a [*backend.OptionError]'s Field; fields maps the
// Options' names to the file's), or else at the backend n.
func (d *decoder) validated(n *node, path string, fs map[string]entry, fields map[string]string, err error) {
	if oe := (*backend.OptionError)(nil); errors.As(err, &oe) {
		if e, ok := fs[fields[oe.Field]]; ok {
			n, path = e.val, e.path
		}
	}
	d.check(n, path, err)
}

// keyFormats checks that the backends of a tree agree on their key format.
func (d *decoder) keyFormats(root *Backend) {
	var first *Backend
	root.each(func(b *Backend) {
		switch {
		case b.Key == 0:
		case first == nil:
			first = b
		case b.Key != first.Key:
			d.failAt(joinLoc(b.Loc, "key"), ErrValue,
				"key format %v differs from %v at %s: the backends of a composition share one key format", b.Key, first.Key, first.Loc.Path)
		}
	})
}

// KeyFormat returns the key format of the backend tree.
func (b *Backend) KeyFormat() hitbox.KeyFormat {
	k := hitbox.KeyFormat(0)
	b.each(func(b *Backend) { k = cmp.Or(k, b.Key) })
	return cmp.Or(k, hitbox.KeyURLEncoded)
}
