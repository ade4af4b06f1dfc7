package predicate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/itchyny/gojq"
)

// DefaultJQTimeout bounds one jq evaluation when [BodyOptions.Timeout] is
// zero. gojq has no step limit; the deadline is checked at every step.
const DefaultJQTimeout = 100 * time.Millisecond

// CompileJQ parses and compiles a jq expression once, for [JQ] and its
// siblings and for the key extractors. Besides jq's builtins it offers
// `hash`: the SHA-256, as 64 lowercase hex digits, of a string's bytes
// (unquoted), of a number's text, or of any other value's compact JSON
// (object keys sorted). The environment is not visible ($ENV and env are
// empty), and `input` and `inputs` are compile errors.
//
// A bad expression, or an empty one, is an error naming it. The result is
// safe for concurrent use; run it with [EvalJQ].
func CompileJQ(expr string) (*gojq.Code, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, fmt.Errorf("predicate: empty jq expression")
	}
	q, err := gojq.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("predicate: invalid jq expression %q: %w", expr, err)
	}
	code, err := gojq.Compile(q, gojq.WithFunction("hash", 0, 0, jqHash))
	if err != nil {
		return nil, fmt.Errorf("predicate: invalid jq expression %q: %w", expr, err)
	}
	return code, nil
}

func jqHash(v any, _ []any) any {
	var b []byte
	if s, ok := v.(string); ok {
		b = []byte(s)
	} else {
		b, _ = gojq.Marshal(v) // v comes from gojq: always a type Marshal takes
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// EvalJQ parses body as one JSON value and runs code on it, returning the
// first result; further results are not computed. ok is false when body is
// not exactly one JSON value, when the run yields nothing or an error
// first, or when it does not finish within timeout (zero means
// [DefaultJQTimeout], a negative one leaves only ctx's deadline). A null
// result is (nil, true). Numbers come back as gojq gives them (int,
// float64, *big.Int or the body's own json.Number text).
func EvalJQ(ctx context.Context, code *gojq.Code, body []byte, timeout time.Duration) (v any, ok bool) {
	if code == nil {
		return nil, false
	}
	input, ok := decodeJSON(body)
	if !ok {
		return nil, false
	}
	if timeout == 0 {
		timeout = DefaultJQTimeout
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	v, ok = code.RunWithContext(ctx, input).Next()
	if !ok {
		return nil, false
	}
	if _, isErr := v.(error); isErr {
		return nil, false
	}
	return v, true
}

// decodeJSON parses b as exactly one JSON value, numbers kept as
// json.Number so that large integers survive.
func decodeJSON(b []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false // trailing data
	}
	return v, true
}

// normalizeJSON turns a configured value into the shape gojq compares: it
// goes through JSON, so any value encoding/json can marshal is accepted
// (ints, floats, strings, bools, nil, slices, string-keyed maps).
func normalizeJSON(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	out, ok := decodeJSON(b)
	if !ok {
		return nil, fmt.Errorf("cannot decode %s", b)
	}
	return out, nil
}
