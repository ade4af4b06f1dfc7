package config

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/hitbox-go/hitbox/httpcache"
	"github.com/hitbox-go/hitbox/internal/rfc9111"
)

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

func (d *decoder) rfc9111(n *node, path string) (o Rfc9111Options, _ bool) {
	fs, _ := d.fields(n, path, "a mapping (targeted_fields, strip_targeted, heuristic, store_set_cookie)", true,
		"targeted_fields", "strip_targeted", "heuristic", "store_set_cookie")
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
		if hs, ok := d.fields(e.val, e.path, "a mapping (fraction, max)", true, "fraction", "max"); ok {
			d.required(hs, e.val, e.path, "fraction", "e.g. fraction: 0.1")
			o.HeuristicMax = rfc9111.DefaultHeuristicMax // a day, what httpcache does with max 0
			set(hs, "fraction", &o.HeuristicFraction, d.fraction)
			set(hs, "max", &o.HeuristicMax, d.positiveDuration)
			if o.HeuristicFraction == 0 {
				o.HeuristicMax = 0 // fraction 0: no heuristic freshness
			}
		}
	}
	return o, true
}

// fraction reads a number from 0 to 1; an error names it by the last
// element of path.
func (d *decoder) fraction(n *node, path string) (float64, bool) {
	f := n.f
	if n.kind == kindInt {
		f = math.Inf(1) // an integer too large for int64 is out of range too
		if n.intOK {
			f = float64(n.i)
		}
	}
	switch {
	case n.kind != kindInt && n.kind != kindFloat:
		d.wrongType(n, path, "a number from 0 to 1")
	case !d.noTag(n, path):
	case math.IsNaN(f) || f < 0 || f > 1:
		d.fail(n, path, ErrValue, "%s %s is out of range (want 0 to 1, e.g. 0.1)", path[strings.LastIndex(path, ".")+1:], n.text)
	default:
		return f, true
	}
	return 0, false
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
	ttl := "no ttl"
	if ep.Policy.TTL > 0 {
		ttl = "ttl " + durationText(ep.Policy.TTL)
	}
	switch {
	case ep.Policy.Disabled:
		return fmt.Sprintf("semantics %s (policy Disabled: never cached)", ep.Semantics)
	case ep.Semantics != httpcache.SemanticsRfc9111:
		return fmt.Sprintf("semantics Hitbox (the predicates decide, Cache-Control is not read; %s)", ttl)
	case ep.Policy.TTL == 0:
		ttl = "uncapped: no ttl"
	default:
		ttl = "capped by " + ttl
	}
	return fmt.Sprintf("semantics Rfc9111 (freshness from the origin, %s; no-store, private, Set-Cookie and Authorization honoured)", ttl)
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
	heuristic := "off"
	if o.HeuristicFraction > 0 {
		heuristic = fmt.Sprintf("%g max=%s", o.HeuristicFraction, o.HeuristicMax)
	}
	fmt.Fprintf(w, "rfc9111: targeted_fields=%q strip_targeted=%t heuristic=%s store_set_cookie=%t\n",
		o.TargetedFields, o.StripTargeted, heuristic, o.StoreSetCookie)
}
