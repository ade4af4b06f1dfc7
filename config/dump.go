package config

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/httpcache"
	"github.com/hitbox-go/hitbox/internal/bytesize"
)

// Dump writes a stable, readable description of f: every section with its
// defaults filled in, one item per line, without positions. Two files
// that mean the same thing dump the same (golden tests compare dumps).
func (f *File) Dump(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "listen: %s\n", f.Listen)
	fmt.Fprintf(&b, "upstream: %s\n", f.Upstream)
	if f.Admin.Listen == "" {
		b.WriteString("admin: off\n")
	} else {
		fmt.Fprintf(&b, "admin: %s", f.Admin.Listen)
		if f.Admin.Token != "" {
			b.WriteString(" (token)")
		}
		b.WriteString("\n")
	}
	dumpServer(&b, f)
	dumpSemantics(&b, f)
	dumpTracing(&b, f)
	fmt.Fprintf(&b, "key format: %v\n", f.Backend.KeyFormat())
	b.WriteString("backend: ")
	dumpBackend(&b, f.Backend, "", false)
	for i, ep := range f.Endpoints {
		fmt.Fprintf(&b, "endpoint %d %q\n", i, ep.Name)
		b.WriteString("  request:")
		dumpPredicate(&b, ep.Request, "    ")
		b.WriteString("  response:")
		dumpPredicate(&b, ep.Response, "    ")
		b.WriteString("  extractors:")
		if len(ep.Extractors) == 0 {
			b.WriteString(" none\n")
		} else {
			b.WriteString("\n")
		}
		for _, e := range ep.Extractors {
			b.WriteString("    ")
			b.WriteString(e.String())
			b.WriteString("\n")
		}
		if len(ep.Tags) > 0 {
			b.WriteString("  tags:\n")
			for _, e := range ep.Tags {
				b.WriteString("    " + e.String() + "\n")
			}
		}
		fmt.Fprintf(&b, "  policy: %s\n", ep.Policy)
		if !ep.KeyHost {
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
	switch b.Type {
	case Memory:
		if b.Memory.MaxCapacity > 0 {
			fmt.Fprintf(w, " max_capacity=%d", b.Memory.MaxCapacity)
		} else {
			fmt.Fprintf(w, " max_bytes=%s", bytesize.Format(b.Memory.MaxBytes))
		}
	case Redis:
		dumpRedis(w, b.Redis, secrets)
	case Disk:
		dumpDisk(w, b.Disk)
	case Tarantool:
		dumpTarantool(w, b.Tarantool, secrets)
	case Composition:
		c := b.Composition
		fmt.Fprintf(w, " read=%v write=%v refill=%v", c.Read, c.Write, c.Refill)
		if c.Invalidation != nil {
			fmt.Fprintf(w, " invalidation=%q", c.Invalidation.Channel)
		}
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

func codecString(c backend.Codec) string {
	f, comp := c.Format, c.Compression
	if f == 0 {
		f = backend.FormatJSON
	}
	if comp == 0 {
		comp = backend.CompressionNone
	}
	s := f.String() + "/" + comp.String()
	if c.Level != 0 {
		s += "(" + strconv.Itoa(c.Level) + ")"
	}
	return s
}

// dumpPredicate writes p after the "request:" or "response:" label.
func dumpPredicate(w *strings.Builder, p *Predicate, indent string) {
	if p == nil {
		w.WriteString(" any (no condition)\n")
		return
	}
	w.WriteString("\n")
	dumpTree(w, p, indent)
}

func dumpTree(w *strings.Builder, p *Predicate, indent string) {
	w.WriteString(indent)
	switch p.Kind {
	case And, Or, Not:
		w.WriteString(p.Kind.String())
		if len(p.Operands) == 0 {
			w.WriteString(" (empty: holds)")
		}
		w.WriteString("\n")
		for _, op := range p.Operands {
			dumpTree(w, op, indent+"  ")
		}
		return
	case Method:
		fmt.Fprintf(w, "Method in %q", p.Methods)
	case Path:
		fmt.Fprintf(w, "Path %q", p.Pattern)
	case Header, Query:
		fmt.Fprintf(w, "%v %q %s", p.Kind, p.Name, p.Op)
	case Body:
		fmt.Fprintf(w, "Body %s", p.Body)
	case Status:
		fmt.Fprintf(w, "Status %s", p.Status)
	default:
		w.WriteString(p.Kind.String())
	}
	w.WriteString("\n")
}

// String describes the operation: `eq "v"`, `in ["a" "b"]`, `exist`.
func (o Op) String() string {
	switch o.Kind {
	case OpExist:
		return "exist"
	case OpIn:
		return fmt.Sprintf("in %q", o.Values)
	}
	if len(o.Values) == 1 {
		return fmt.Sprintf("%v %q", o.Kind, o.Values[0])
	}
	return o.Kind.String()
}

// String describes the condition: `jq ".a" eq "x"`, `contains "x"`,
// `limit 1MiB`.
func (b BodyCondition) String() string {
	switch {
	case b.JQ != "":
		s := fmt.Sprintf("jq %q", b.JQ)
		switch b.JQOp {
		case OpEq, OpIn:
			v, _ := json.Marshal(b.JSONValues)
			if b.JQOp == OpEq {
				v, _ = json.Marshal(b.JSONValues[0])
			}
			return s + " " + b.JQOp.String() + " " + string(v)
		case OpExist:
			return s + " exist"
		}
		return s + " is true"
	case b.Limit > 0:
		return "limit " + bytesize.Format(b.Limit)
	}
	return b.Op.String()
}

// String describes the condition: `eq 200`, `in [200 203]`, `class
// Success`, `range 200..299`.
func (s StatusCondition) String() string {
	switch {
	case s.Class != 0:
		return "class " + s.Class.String()
	case s.Range:
		return fmt.Sprintf("range %d..%d", s.Min, s.Max)
	case len(s.Codes) == 1:
		return fmt.Sprintf("eq %d", s.Codes[0])
	}
	return fmt.Sprintf("in %v", s.Codes)
}

// String describes the extractor as the dump shows it.
func (e *Extractor) String() string {
	switch e.Kind {
	case MethodKey:
		return "Method"
	case StaticKey:
		return staticString(e.Static)
	case PathKey:
		return fmt.Sprintf("Path %q", e.Pattern)
	case QueryKey, HeaderKey:
		s := fmt.Sprintf("%v %q", e.Kind, e.Name)
		if e.Prefix {
			s = fmt.Sprintf("%v starts %q", e.Kind, e.Name)
		}
		if e.Value != "" {
			s += fmt.Sprintf(" value %q", e.Value)
		}
		return s + transformsString(e.Transforms, e.PartTransforms)
	case BodyKey:
		switch e.Form {
		case BodyExpr:
			return fmt.Sprintf("Body %q", e.JQ)
		case BodyJQ:
			return fmt.Sprintf("Body jq %q", e.JQ)
		case BodyHash:
			return "Body hash"
		case BodyRegex:
			return fmt.Sprintf("Body regex %q key %q global %v", e.Regex, e.Key, e.Global) + transformsString(e.Transforms, e.PartTransforms)
		}
	}
	return e.Kind.String()
}

func transformsString(all []Transform, byPart map[string][]Transform) string {
	if byPart != nil {
		var parts []string
		for _, name := range slices.Sorted(maps.Keys(byPart)) {
			parts = append(parts, name+": "+transformList(byPart[name]))
		}
		return " transforms {" + strings.Join(parts, ", ") + "}"
	}
	if len(all) == 0 {
		return ""
	}
	return " transforms " + transformList(all)
}

func transformList(ts []Transform) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.String()
	}
	return "[" + strings.Join(names, " ") + "]"
}

// String returns the transform's name, or "truncate N".
func (t Transform) String() string {
	if t.Kind == Truncate {
		return "truncate " + strconv.Itoa(t.N)
	}
	return t.Kind.String()
}

// String describes the policy: "Disabled", or "Enabled ttl=5s ...".
func (p Policy) String() string {
	if p.Disabled {
		return "Disabled"
	}
	s := "Enabled"
	if p.TTL != nil {
		s += " ttl=" + durationText(*p.TTL)
	} else {
		s += " ttl=never"
	}
	if p.Stale != nil {
		s += " stale=" + durationText(*p.Stale)
	}
	s += " keep=" + durationText(p.Keep)
	if p.StaleIfError > 0 {
		s += " stale_if_error=" + durationText(p.StaleIfError)
	}
	return s + fmt.Sprintf(" stale_mode=%v concurrency=%d", p.StaleMode, p.Concurrency)
}
