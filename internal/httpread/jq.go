package httpread

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/itchyny/gojq"
)

// DefaultJQTimeout bounds one jq evaluation when the caller gives no
// timeout. gojq has no step limit; the deadline is checked at every step.
const DefaultJQTimeout = 100 * time.Millisecond

// CompileJQ parses and compiles a jq expression once, for the body
// predicates and the key extractors. Besides jq's builtins it offers
// `hash`: the SHA-256, as 64 lowercase hex digits, of a string's bytes
// (unquoted), of a number's text, or of any other value's compact JSON
// (object keys sorted). The environment is not visible ($ENV and env are
// empty), and `input` and `inputs` are compile errors.
//
// A bad expression, or an empty one, is an error naming it (callers add
// their package's prefix). The result is
// safe for concurrent use; run it with [EvalJQ].
func CompileJQ(expr string) (*gojq.Code, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, errors.New("empty jq expression")
	}
	q, err := gojq.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("invalid jq expression %q: %w", expr, err)
	}
	code, err := gojq.Compile(q, gojq.WithFunction("hash", 0, 0, jqHash))
	if err != nil {
		return nil, fmt.Errorf("invalid jq expression %q: %w", expr, err)
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
	input, err := DecodeJSON(body)
	if err != nil {
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

// DecodeJSON parses b as exactly one JSON value, numbers kept as
// json.Number so that large integers survive. Anything else (no value, a
// syntax error, data after the value) is an error.
func DecodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}
