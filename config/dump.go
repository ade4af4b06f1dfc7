package config

import (
	"cmp"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/httpcache"
	"github.com/hitbox-go/hitbox/internal/bytesize"
)

// Dump writes a stable description of f, defaults filled in, one item per
// line, without positions: two files that mean the same dump the same.
func (f *File) Dump(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "listen: %s\nupstream: %s\n", f.Listen, f.Upstream)
	admin := cmp.Or(f.Admin.Listen, "off")
	if f.Admin.Token != "" { // a token needs a listen address
		admin += " (token)"
	}
	fmt.Fprintf(&b, "admin: %s\n", admin)
	dumpServer(&b, f)
	dumpSemantics(&b, f)
	dumpTracing(&b, f)
	fmt.Fprintf(&b, "key format: %v\n", f.Backend.KeyFormat())
	b.WriteString("backend: ")
	dumpBackend(&b, f.Backend, "", false)
	for i, ep := range f.Endpoints {
		fmt.Fprintf(&b, "endpoint %d %q\n", i, ep.Name)
		b.WriteString("  request:")
		dumpPredicate(&b, ep.request, "    ")
		b.WriteString("  response:")
		dumpPredicate(&b, ep.response, "    ")
		b.WriteString("  extractors:")
		if len(ep.extractors) == 0 {
			b.WriteString(" none")
		}
		b.WriteString("\n")
		dumpKeyers(&b, ep.extractors, "    ")
		if len(ep.tags) > 0 {
			b.WriteString("  tags:\n")
			dumpKeyers(&b, ep.tags, "    ")
		}
		fmt.Fprintf(&b, "  policy: %s\n", policyText(ep.Policy))
		if ep.IgnoreHost {
			b.WriteString("  key_host: false\n")
		}
		if ep.UpstreamTimeout != f.UpstreamTimeout {
			fmt.Fprintf(&b, "  upstream_timeout: %s\n", durationText(ep.UpstreamTimeout))
		}
		if ep.Semantics != httpcache.SemanticsHitbox {
			fmt.Fprintf(&b, "  semantics: %s\n", ep.Semantics)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// dumpBackend writes b on the current line and its layers below; with
// secrets it writes passwords too (for comparing trees, never printed).
func dumpBackend(w *strings.Builder, b *Backend, indent string, secrets bool) {
	w.WriteString(b.Type.String())
	if k, ok := b.Type.kind(); ok {
		k.dump(w, b, secrets)
	}
	if b.Key != 0 {
		fmt.Fprintf(w, " key=%v", b.Key)
	}
	if b.Type != Composition {
		fmt.Fprintf(w, " value=%s", codecString(b.Value))
	}
	w.WriteString("\n")
	if c := b.Composition; c != nil {
		fmt.Fprintf(w, "%s  l1: ", indent)
		dumpBackend(w, c.L1, indent+"  ", secrets)
		fmt.Fprintf(w, "%s  l2: ", indent)
		dumpBackend(w, c.L2, indent+"  ", secrets)
	}
}

func dumpMemory(w *strings.Builder, b *Backend, _ bool) {
	if b.Memory.MaxEntries > 0 {
		fmt.Fprintf(w, " max_capacity=%d", b.Memory.MaxEntries)
	} else {
		fmt.Fprintf(w, " max_bytes=%s", bytesize.Format(b.Memory.MaxBytes))
	}
}

func dumpComposition(w *strings.Builder, b *Backend, _ bool) {
	c := b.Composition
	fmt.Fprintf(w, " read=%v write=%v refill=%v", c.Read, c.Write, c.Refill)
	if c.Invalidation != nil {
		fmt.Fprintf(w, " invalidation=%q", c.Invalidation.Channel)
	}
}

func codecString(c backend.Codec) string {
	s := cmp.Or(c.Format, backend.FormatJSON).String() + "/" + cmp.Or(c.Compression, backend.CompressionNone).String()
	if c.Level != 0 {
		s += "(" + strconv.Itoa(c.Level) + ")"
	}
	return s
}

// dumpPredicate writes c after the "request:" or "response:" label.
func dumpPredicate(w *strings.Builder, c *cond, indent string) {
	if c == nil {
		w.WriteString(" any (no condition)\n")
		return
	}
	w.WriteString("\n")
	dumpTree(w, c, indent)
}

func dumpTree(w *strings.Builder, c *cond, indent string) {
	switch {
	case c.text != "": // a leaf
		w.WriteString(indent + c.text + "\n")
	case len(c.kids) == 0:
		w.WriteString(indent + c.kind + " (empty: holds)\n")
	default:
		w.WriteString(indent + c.kind + "\n")
	}
	for _, k := range c.kids {
		dumpTree(w, k, indent+"  ")
	}
}

// dumpKeyers writes extractors or tag sources, one per line.
func dumpKeyers(w *strings.Builder, es []*keyer, indent string) {
	for _, e := range es {
		w.WriteString(indent + e.text + "\n")
	}
}

// policyText describes a decoded policy: "Disabled", or "Enabled ttl=5s
// ...", in the file's terms (ttl=never for TTL 0, stale=0s for the
// smallest Stale, keep=0s for a negative Keep).
func policyText(p hitbox.Policy) string {
	if p.Disabled {
		return "Disabled"
	}
	s := "Enabled ttl=never"
	if p.TTL > 0 {
		s = "Enabled ttl=" + durationText(p.TTL)
	}
	if p.Stale == time.Nanosecond { // stale: 0, stale at once
		s += " stale=0s"
	} else if p.Stale > 0 {
		s += " stale=" + durationText(p.Stale)
	}
	s += " keep=" + durationText(max(p.Keep, 0))
	if p.StaleIfError > 0 {
		s += " stale_if_error=" + durationText(p.StaleIfError)
	}
	return s + fmt.Sprintf(" stale_mode=%v concurrency=%d", p.StaleMode, p.Concurrency)
}
