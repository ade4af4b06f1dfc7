package config

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/hitbox-go/hitbox/httpcache"
)

// DefaultHeuristicMax is the default rfc9111.heuristic.max: a day, as RFC
// 9111 §4.2.2 suggests.
const DefaultHeuristicMax = 24 * time.Hour

var semanticsNames = []string{"", httpcache.SemanticsHitbox.String(), httpcache.SemanticsRfc9111.String()}

// Rfc9111Options are the `rfc9111` section, the knobs of the Rfc9111
// mode (docs/config.md); the zero value is the default.
type Rfc9111Options struct {
	// TargetedFields are targeted cache-control fields (RFC 9213), most
	// specific first (targeted_fields).
	TargetedFields []string
	// StripTargeted removes the targeted fields and CDN-Cache-Control
	// from what is stored and sent (strip_targeted).
	StripTargeted bool
	// HeuristicFraction and HeuristicMax are heuristic freshness
	// (heuristic.fraction and max); zero: none.
	HeuristicFraction float64
	HeuristicMax      time.Duration
	// StoreSetCookie stores a response with Set-Cookie without that field
	// (store_set_cookie).
	StoreSetCookie bool
}

func (d *decoder) semantics(n *node, path string) (httpcache.Semantics, bool) {
	i, ok := d.enum(n, path, "semantics", semanticsNames)
	return httpcache.Semantics(i), ok
}

func (d *decoder) rfc9111(n *node, path string) (Rfc9111Options, bool) {
	var o Rfc9111Options
	fs, ok := d.fields(n, path, "a mapping (targeted_fields, strip_targeted, heuristic, store_set_cookie)", true,
		"targeted_fields", "strip_targeted", "heuristic", "store_set_cookie")
	if !ok {
		return o, true
	}
	if e, ok := fs["targeted_fields"]; ok {
		o.TargetedFields = d.fieldNames(e.val, e.path, "field", func(item *node, p, s string) bool {
			switch http.CanonicalHeaderKey(s) {
			case "Cache-Control", "Cdn-Cache-Control":
				d.fail(item, p, ErrValue, "%s is always read: list only other targeted fields (e.g. Hitbox-Cache-Control)", s)
				return false
			}
			return true
		})
	}
	set(fs, "strip_targeted", &o.StripTargeted, d.boolean)
	set(fs, "store_set_cookie", &o.StoreSetCookie, d.boolean)
	if e, ok := fs["heuristic"]; ok && e.val.kind != kindNull {
		d.heuristic(e.val, e.path, &o)
	}
	return o, true
}

// heuristic decodes `heuristic: {fraction, max}`.
func (d *decoder) heuristic(n *node, path string, o *Rfc9111Options) {
	hs, ok := d.fields(n, path, "a mapping (fraction, max)", true, "fraction", "max")
	if !ok {
		return
	}
	e, ok := hs["fraction"]
	if !ok {
		d.fail(n, path, ErrMissing, "heuristic without fraction (e.g. fraction: 0.1)")
		return
	}
	f, ok := d.fraction(e.val, e.path, "fraction")
	hmax := DefaultHeuristicMax
	set(hs, "max", &hmax, d.positiveDuration)
	if ok && f > 0 {
		o.HeuristicFraction, o.HeuristicMax = f, hmax
	}
}

// fraction reads a number from 0 to 1.
func (d *decoder) fraction(n *node, path, what string) (float64, bool) {
	var f float64
	switch n.kind {
	case kindInt:
		f = float64(n.i)
	case kindFloat:
		f = n.f
	default:
		d.wrongType(n, path, "a number from 0 to 1")
		return 0, false
	}
	if !d.noTag(n, path) {
		return 0, false
	}
	if math.IsNaN(f) || f < 0 || f > 1 {
		d.fail(n, path, ErrValue, "%s %s is out of range (want 0 to 1, e.g. 0.1)", what, n.text)
		return 0, false
	}
	return f, true
}

// MiddlewareOptions are the httpcache options of f's file-level settings.
func (f *File) MiddlewareOptions() []httpcache.Option {
	o := f.Rfc9111
	return []httpcache.Option{
		httpcache.WithSemantics(f.Semantics),
		httpcache.WithTargetedFields(o.StripTargeted, o.TargetedFields...),
		httpcache.WithHeuristicFreshness(o.HeuristicFraction, o.HeuristicMax),
		httpcache.WithStoreSetCookie(o.StoreSetCookie),
		httpcache.WithTagHeaders(f.TagHeaders...),
	}
}

// Mode explains the endpoint's semantics in one phrase, for `hitboxd
// check`.
func (ep *Endpoint) Mode() string {
	if ep.Policy.Disabled {
		return fmt.Sprintf("semantics %s (policy Disabled: never cached)", ep.Semantics)
	}
	ttl := "no ttl"
	if ep.Policy.TTL != nil {
		ttl = "ttl " + durationText(*ep.Policy.TTL)
	}
	if ep.Semantics == httpcache.SemanticsRfc9111 {
		capped := "capped by " + ttl
		if ep.Policy.TTL == nil {
			capped = "uncapped: no ttl"
		}
		return fmt.Sprintf("semantics Rfc9111 (freshness from the origin, %s; no-store, private, Set-Cookie and Authorization honoured)", capped)
	}
	return fmt.Sprintf("semantics Hitbox (the predicates decide, Cache-Control is not read; %s)", ttl)
}

// dumpSemantics writes the semantics and Rfc9111 knobs that are not the
// defaults.
func dumpSemantics(w *strings.Builder, f *File) {
	if f.Semantics != httpcache.SemanticsHitbox {
		fmt.Fprintf(w, "semantics: %s\n", f.Semantics)
	}
	o := f.Rfc9111
	if o.TargetedFields == nil && !o.StripTargeted && o.HeuristicFraction == 0 && !o.StoreSetCookie {
		return
	}
	fmt.Fprintf(w, "rfc9111: targeted_fields=%q strip_targeted=%t", o.TargetedFields, o.StripTargeted)
	if o.HeuristicFraction > 0 {
		fmt.Fprintf(w, " heuristic=%g max=%s", o.HeuristicFraction, durationText(o.HeuristicMax))
	} else {
		w.WriteString(" heuristic=off")
	}
	fmt.Fprintf(w, " store_set_cookie=%t\n", o.StoreSetCookie)
}
