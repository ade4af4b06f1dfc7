package predicate

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/itchyny/gojq"

	"github.com/hitbox-go/hitbox/internal/bytesize"
	"github.com/hitbox-go/hitbox/internal/httpread"
)

// DefaultMaxBody is the most a [Body] or [ResponseBody] predicate reads when
// [BodyOptions.MaxBytes] is zero: 1 MiB.
const DefaultMaxBody = 1 << 20

// DefaultJQTimeout bounds one jq evaluation when [BodyOptions.Timeout] is
// zero: 100ms. gojq has no step limit; the deadline is checked at every
// step.
const DefaultJQTimeout = httpread.DefaultJQTimeout

// BodyMatcher is a condition on a whole body: a jq expression ([JQ],
// [JQEq], [JQIn], [JQExist]), an operation on the raw bytes ([Raw]) or a
// size bound ([Limit]). [Body] and [ResponseBody] turn it into a predicate.
// The zero BodyMatcher never holds. A BodyMatcher is immutable and safe for
// concurrent use.
type BodyMatcher struct {
	kind  bodyKind
	op    Op         // bodyRaw
	expr  string     // jq kinds: the expression as written
	code  *gojq.Code // jq kinds
	want  []any      // bodyJQEq: one value; bodyJQIn: every value (normalized)
	limit int64      // bodyLimit
}

type bodyKind uint8

const (
	bodyRaw bodyKind = iota + 1
	bodyJQTrue
	bodyJQEq
	bodyJQIn
	bodyJQExist
	bodyLimit
)

// Raw returns a matcher that applies op to the raw body bytes: [Eq] (the
// whole body), [In], [Contains], [Starts], [Ends] or [Regex] (searching the
// bytes). Values are not trimmed. [Exist] and the zero Op are errors.
func Raw(op Op) (BodyMatcher, error) {
	if op.kind == 0 || op.kind == opExist {
		return BodyMatcher{}, fmt.Errorf("predicate: %s is not a body operation", op)
	}
	return BodyMatcher{kind: bodyRaw, op: op}, nil
}

// JQ returns a matcher that holds when the jq expression, run on the body
// parsed as JSON, yields true first: false, null, any other value, no
// result, an error, a timeout, or a body that is not JSON all mean no. The
// expression is compiled once, here; a bad one is an error naming it.
// Besides jq's builtins it offers `hash`: the SHA-256, as 64 lowercase hex
// digits, of a string's bytes (unquoted), of a number's text, or of any
// other value's compact JSON (object keys sorted). The environment is not
// visible ($ENV and env are empty), and `input` and `inputs` are errors.
func JQ(expr string) (BodyMatcher, error) {
	return newJQ(bodyJQTrue, expr, nil)
}

// JQEq returns a matcher that holds when the jq expression's first result
// equals want, compared as jq compares values (1 equals 1.0; "1" does not
// equal 1). want is any value encoding/json can marshal; one it cannot is an
// error.
func JQEq(expr string, want any) (BodyMatcher, error) {
	return newJQ(bodyJQEq, expr, []any{want})
}

// JQIn returns a matcher that holds when the jq expression's first result
// equals one of wants (see [JQEq]). With no wants it never holds.
func JQIn(expr string, wants ...any) (BodyMatcher, error) {
	return newJQ(bodyJQIn, expr, wants)
}

// JQExist returns a matcher that holds when the jq expression yields a
// first result that is not null.
func JQExist(expr string) (BodyMatcher, error) {
	return newJQ(bodyJQExist, expr, nil)
}

func newJQ(kind bodyKind, expr string, wants []any) (BodyMatcher, error) {
	code, err := httpread.CompileJQ(expr)
	if err != nil {
		return BodyMatcher{}, fmt.Errorf("predicate: %w", err)
	}
	m := BodyMatcher{kind: kind, expr: expr, code: code, want: make([]any, 0, len(wants))}
	for _, w := range wants {
		n, err := normalizeJSON(w)
		if err != nil {
			return BodyMatcher{}, fmt.Errorf("predicate: jq expression %q: invalid value %v: %w", expr, w, err)
		}
		m.want = append(m.want, n)
	}
	return m, nil
}

// Limit returns a matcher that holds when the body is at most n bytes. A
// larger body is not read whole to find out: a known length
// (Content-Length) answers without reading, an unknown one is read up to
// n+1 bytes (and left for the upstream, as [Body] does). A negative n
// is an error.
func Limit(n int64) (BodyMatcher, error) {
	if n < 0 {
		return BodyMatcher{}, fmt.Errorf("predicate: invalid body limit %d", n)
	}
	return BodyMatcher{kind: bodyLimit, limit: n}, nil
}

// String describes the matcher as `hitboxd check` shows it: `jq ".a" is
// true`, `jq ".s" eq "x"` (values in JSON), `contains "x"`, `limit 64KiB`.
func (m BodyMatcher) String() string {
	switch m.kind {
	case bodyRaw:
		return m.op.String()
	case bodyJQTrue:
		return fmt.Sprintf("jq %q is true", m.expr)
	case bodyJQEq:
		return fmt.Sprintf("jq %q eq %s", m.expr, jsonText(m.want[0]))
	case bodyJQIn:
		return fmt.Sprintf("jq %q in %s", m.expr, jsonText(m.want))
	case bodyJQExist:
		return fmt.Sprintf("jq %q exist", m.expr)
	case bodyLimit:
		return "limit " + bytesize.Format(m.limit)
	default:
		return "none"
	}
}

// jsonText writes a normalized value (see normalizeJSON) as compact JSON.
func jsonText(v any) string {
	b, _ := json.Marshal(v) // normalized values always marshal
	return string(b)
}

// match decides on a body read whole.
func (m *BodyMatcher) match(ctx context.Context, body []byte, timeout time.Duration) bool {
	switch m.kind {
	case bodyRaw:
		return m.op.matchBytes(body)
	case bodyJQTrue, bodyJQEq, bodyJQIn, bodyJQExist:
	default:
		return false
	}
	v, ok := httpread.EvalJQ(ctx, m.code, body, timeout)
	if !ok {
		return false
	}
	switch m.kind {
	case bodyJQTrue:
		return v == true
	case bodyJQExist:
		return v != nil
	default: // bodyJQEq, bodyJQIn
		for _, w := range m.want {
			if gojq.Compare(v, w) == 0 {
				return true
			}
		}
		return false
	}
}

// BodyOptions tune how a [Body] or [ResponseBody] predicate reads and
// evaluates a body. The zero value is ready to use.
type BodyOptions struct {
	// MaxBytes is the most the predicate reads; a longer body fails it
	// (only MaxBytes+1 bytes are read to find out). Zero means
	// DefaultMaxBody; [Limit] ignores it.
	MaxBytes int64
	// Timeout bounds one jq evaluation. Zero means DefaultJQTimeout; a
	// negative value leaves only the request's context.
	Timeout time.Duration
}

func (o BodyOptions) withDefaults() BodyOptions {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBody
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultJQTimeout
	}
	return o
}

// Body returns a predicate on the request body. The body is read for
// every method (GET included), at most o.MaxBytes+1 bytes of it and none
// when Content-Length is larger, and it reaches the upstream unchanged: a
// replayable body (r.GetBody) is read from a fresh copy, any other is
// replaced by one that delivers the same bytes. jq runs under the request's context and o.Timeout.
func Body(m BodyMatcher, o BodyOptions) Request {
	return requestBody{m: m, o: o.withDefaults()}
}

// ResponseBody returns a predicate on the response body, read as [Body]
// reads a request's and left for the client or the cache to read again.
// jq runs under the context of resp.Request, when there is one.
func ResponseBody(m BodyMatcher, o BodyOptions) Response {
	return responseBody{m: m, o: o.withDefaults()}
}

// bodyMatch is what the body predicates hold: the matcher and its options.
type bodyMatch struct {
	m BodyMatcher
	o BodyOptions
}

// matchBody matches the body *body of contentLength bytes (-1: unknown):
// a size limit by [httpread.BodyFits] (getBody, when not nil, gives a copy
// to count), anything else on the bytes read gives, under ctx.
func (p bodyMatch) matchBody(ctx context.Context, body *io.ReadCloser, getBody func() (io.ReadCloser, error), contentLength int64, read func() ([]byte, error)) bool {
	if p.m.kind == bodyLimit {
		return httpread.BodyFits(body, getBody, contentLength, p.m.limit)
	}
	if p.m.kind == 0 {
		return false
	}
	data, err := read()
	return err == nil && p.m.match(ctx, data, p.o.Timeout)
}

type requestBody bodyMatch

func (p requestBody) Match(r *http.Request) bool {
	return r != nil && bodyMatch(p).matchBody(r.Context(), &r.Body, r.GetBody, r.ContentLength, func() ([]byte, error) {
		return httpread.BodyBytes(r, p.o.MaxBytes)
	})
}

type responseBody bodyMatch

func (p responseBody) Match(resp *http.Response) bool {
	if resp == nil {
		return false
	}
	ctx := context.Background()
	if resp.Request != nil {
		ctx = resp.Request.Context()
	}
	return bodyMatch(p).matchBody(ctx, &resp.Body, nil, resp.ContentLength, func() ([]byte, error) {
		return httpread.ResponseBodyBytes(resp, p.o.MaxBytes)
	})
}

// normalizeJSON turns a configured value into the shape gojq compares: it
// goes through JSON, so any value encoding/json can marshal is accepted
// (ints, floats, strings, bools, nil, slices, string-keyed maps).
func normalizeJSON(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	out, err := httpread.DecodeJSON(b)
	if err != nil {
		return nil, fmt.Errorf("cannot decode %s: %w", b, err)
	}
	return out, nil
}
