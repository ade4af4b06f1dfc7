package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"time"

	"github.com/itchyny/gojq"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/internal/httpread"
	"github.com/hitbox-go/hitbox/predicate"
)

// DefaultBodyLimit is the most body bytes the body extractors read when
// no [WithLimit] option says otherwise: 1 MiB, as [predicate.DefaultMaxBody].
const DefaultBodyLimit = predicate.DefaultMaxBody

// ErrBodyTooLarge is wrapped by the error of a body extractor given a body
// longer than its limit ([WithLimit]).
var ErrBodyTooLarge = httpread.ErrBodyTooLarge

// BodyOption configures a body extractor.
type BodyOption func(*bodyOptions)

type bodyOptions struct {
	limit   int64
	timeout time.Duration
}

// WithLimit sets the most body bytes the extractor reads; n <= 0 means
// [DefaultBodyLimit]. A larger body is not read whole (at most n+1 bytes
// are, or none when Content-Length says so): extraction returns an error
// wrapping [ErrBodyTooLarge], so that the request is forwarded
// uncached.
func WithLimit(n int64) BodyOption {
	return func(o *bodyOptions) { o.limit = n }
}

// WithTimeout bounds one jq evaluation of [Body] and [BodyJQ]; d == 0
// means [predicate.DefaultJQTimeout] (100ms), d < 0 leaves only the request's
// context. A run that does not finish in time is an error.
func WithTimeout(d time.Duration) BodyOption {
	return func(o *bodyOptions) { o.timeout = d }
}

func newBodyOptions(opts []BodyOption) bodyOptions {
	var o bodyOptions
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.limit <= 0 {
		o.limit = DefaultBodyLimit
	}
	if o.timeout == 0 {
		o.timeout = predicate.DefaultJQTimeout
	}
	return o
}

// body reads the request body up to the limit and leaves it replayable
// for the next reader. The slice may be shared with r.Body: it must
// not be modified.
func (o bodyOptions) body(r *http.Request) ([]byte, error) {
	b, err := httpread.BodyBytes(r, o.limit)
	if err != nil {
		return nil, fmt.Errorf("extract: reading the request body: %w", err)
	}
	return b, nil
}

// Body returns the extractor of "- Body: '<jq>'": it runs the jq
// expression expr on the JSON request body and adds one part named expr
// per result: strings as they are, other JSON as compact JSON (numbers as
// their JSON text), null with no value. No result gives one part with no
// value. An empty body is read as null; a body that is not one JSON value
// (an error wrapping [ErrBadBody]), a jq error or timeout, or a body over
// the limit is an error. jq has the extra function hash, as in
// [predicate.JQ]. It returns an
// error for a bad expression.
func Body(expr string, opts ...BodyOption) (Extractor, error) {
	code, err := httpread.CompileJQ(expr)
	if err != nil {
		return nil, fmt.Errorf("extract: %w", err)
	}
	return &jqExtractor{expr: expr, name: expr, code: code, o: newBodyOptions(opts)}, nil
}

// BodyJQ returns the extractor of "- Body: {jq: '<jq>'}": it runs expr
// on the JSON request body, and each result adds parts: an object one
// part per field, in the order the expression builds the fields ({user_id:
// .u, role: .r} gives user_id then role; fields the expression does not
// name literally come after, sorted); an array gives, for each element,
// an object's fields or a part "body" for anything else; null gives "body"
// with no value, any other value the part "body". Values render as for
// [Body]. No result gives "body" with no value. Errors are those of [Body].
func BodyJQ(expr string, opts ...BodyOption) (Extractor, error) {
	code, err := httpread.CompileJQ(expr)
	if err != nil {
		return nil, fmt.Errorf("extract: %w", err)
	}
	q, err := gojq.Parse(expr) // CompileJQ parsed it: no error
	if err != nil {
		return nil, fmt.Errorf("extract: body jq %q: %w", expr, err)
	}
	return &jqExtractor{expr: expr, code: code, order: newFieldOrder(q), o: newBodyOptions(opts)}, nil
}

type jqExtractor struct {
	expr  string
	name  string      // the part name of Body; "" for BodyJQ
	order *fieldOrder // BodyJQ only
	code  *gojq.Code
	o     bodyOptions
}

const bodyPart = "body"

func (e *jqExtractor) String() string {
	if e.name == "" {
		return fmt.Sprintf("Body jq %q", e.expr)
	}
	return fmt.Sprintf("Body %q", e.expr)
}

func (e *jqExtractor) Extract(r *http.Request, parts []hitbox.KeyPart) ([]hitbox.KeyPart, error) {
	b, err := e.o.body(r)
	if err != nil {
		return parts, err
	}
	input, err := decodeJSON(b)
	if err != nil {
		return parts, err
	}
	ctx := r.Context()
	if e.o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.o.timeout)
		defer cancel()
	}
	iter := e.code.RunWithContext(ctx, input)
	n, results := len(parts), 0
	for {
		v, ok := iter.Next()
		if !ok {
			break
		}
		if err, ok := v.(error); ok {
			var halt *gojq.HaltError
			if errors.As(err, &halt) && halt.Value() == nil {
				break
			}
			return parts[:n], fmt.Errorf("extract: body jq %q: %w", e.expr, err)
		}
		results++
		if e.order == nil {
			parts = append(parts, render(e.name, v))
			continue
		}
		parts = e.appendResult(parts, v)
	}
	if results == 0 {
		name := e.name
		if e.order != nil {
			name = bodyPart
		}
		parts = append(parts, hitbox.AbsentPart(name))
	}
	return parts, nil
}

// appendResult appends the parts of one BodyJQ result.
func (e *jqExtractor) appendResult(parts []hitbox.KeyPart, v any) []hitbox.KeyPart {
	switch v := v.(type) {
	case map[string]any:
		return e.appendObject(parts, v)
	case []any:
		for _, x := range v {
			if m, ok := x.(map[string]any); ok {
				parts = e.appendObject(parts, m)
			} else {
				parts = append(parts, render(bodyPart, x))
			}
		}
		return parts
	}
	return append(parts, render(bodyPart, v))
}

func (e *jqExtractor) appendObject(parts []hitbox.KeyPart, m map[string]any) []hitbox.KeyPart {
	for _, k := range e.order.keys(m) {
		parts = append(parts, render(k, m[k]))
	}
	return parts
}

// render makes a part of a jq value: strings as they are, null as no
// value, anything else as compact JSON.
func render(name string, v any) hitbox.KeyPart {
	switch v := v.(type) {
	case nil:
		return hitbox.AbsentPart(name)
	case string:
		return hitbox.Part(name, v)
	}
	b, _ := gojq.Marshal(v) // never fails for values gojq yields
	return hitbox.Part(name, string(b))
}

// decodeJSON decodes exactly one JSON value, keeping numbers as their
// text; an empty (or blank) body is null.
func decodeJSON(b []byte) (any, error) {
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, nil
	}
	v, err := httpread.DecodeJSON(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadBody, err)
	}
	return v, nil
}

// BodyHash returns the extractor of "- Body: {transforms: [hash]}": the
// part "body" is the SHA-256 of the whole request body as lowercase hex. A
// body over the limit is an error.
func BodyHash(opts ...BodyOption) Extractor {
	return &hashExtractor{o: newBodyOptions(opts)}
}

type hashExtractor struct {
	o bodyOptions
}

func (e *hashExtractor) String() string { return "Body hash" }

func (e *hashExtractor) Extract(r *http.Request, parts []hitbox.KeyPart) ([]hitbox.KeyPart, error) {
	b, err := e.o.body(r)
	if err != nil {
		return parts, err
	}
	return append(parts, hitbox.Part(bodyPart, hashHex(string(b)))), nil
}

// BodyRegex returns the extractor of "- Body: {regex: ..., key, global,
// transforms}": it searches the regular expression pattern (Go syntax) in
// the raw request body. When the pattern has named groups, each named
// group adds a part by its name, in the order of the groups in the
// pattern (a group that took no part in the match has no value);
// otherwise the part is key ("body" when key is ""), whose value is the
// first capture group when the pattern has one and it matched, else the
// whole match. With global every match adds its parts in turn; otherwise
// only the first. When nothing matches, the parts are added once with no
// value. t's transforms apply to the values, per part name. A body over
// the limit is an error. It returns an error for a bad pattern or an
// invalid transform.
func BodyRegex(pattern, key string, global bool, t PartTransforms, opts ...BodyOption) (Extractor, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("extract: body regex %q: %w", pattern, err)
	}
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("extract: body regex %q: %w", pattern, err)
	}
	if key == "" {
		key = bodyPart
	}
	t.ByPart = maps.Clone(t.ByPart)
	e := &regexExtractor{re: re, key: key, global: global, t: t, o: newBodyOptions(opts)}
	for i, name := range re.SubexpNames() {
		if name != "" {
			e.groups = append(e.groups, regexGroup{index: i, name: name, t: t.For(name)})
		}
	}
	if len(e.groups) == 0 {
		e.groups = []regexGroup{{index: -1, name: key, t: t.For(key)}}
	}
	return e, nil
}

type regexExtractor struct {
	re     *regexp.Regexp
	key    string // the part of a pattern without named groups
	global bool
	t      PartTransforms // as given, for String
	groups []regexGroup
	o      bodyOptions
}

func (e *regexExtractor) String() string {
	s := fmt.Sprintf("Body regex %q key %q global %v", e.re.String(), e.key, e.global)
	if e.t.ByPart != nil || len(e.t.All) > 0 {
		s += " transforms " + e.t.String()
	}
	return s
}

// regexGroup is one part of a match: a named group, or (index -1) the
// first group or the whole match.
type regexGroup struct {
	index int
	name  string
	t     Transforms
}

func (e *regexExtractor) Extract(r *http.Request, parts []hitbox.KeyPart) ([]hitbox.KeyPart, error) {
	b, err := e.o.body(r)
	if err != nil {
		return parts, err
	}
	n := 1
	if e.global {
		n = -1
	}
	matches := e.re.FindAllSubmatchIndex(b, n)
	if len(matches) == 0 {
		for _, g := range e.groups {
			parts = append(parts, hitbox.AbsentPart(g.name))
		}
		return parts, nil
	}
	for _, m := range matches {
		for _, g := range e.groups {
			i := g.index
			if i < 0 {
				i = 0
				if len(m) >= 4 && m[2] >= 0 {
					i = 1
				}
			}
			if m[2*i] < 0 {
				parts = append(parts, hitbox.AbsentPart(g.name))
				continue
			}
			parts = append(parts, hitbox.Part(g.name, g.t.Apply(string(b[m[2*i]:m[2*i+1]]))))
		}
	}
	return parts, nil
}

var (
	_ Extractor = (*jqExtractor)(nil)
	_ Extractor = (*hashExtractor)(nil)
	_ Extractor = (*regexExtractor)(nil)
)
