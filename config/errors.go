package config

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Kinds of configuration errors. Every [*Error] wraps exactly one of them,
// so that callers and tests can tell them apart with [errors.Is].
var (
	// ErrSyntax: the file is not well-formed YAML.
	ErrSyntax = errors.New("config: YAML syntax error")
	// ErrUnknownField: a mapping has a key the language does not know (an
	// unknown field, predicate, extractor, operation or transform).
	ErrUnknownField = errors.New("config: unknown field")
	// ErrType: a value has the wrong YAML type (a list where a string is
	// expected, ...).
	ErrType = errors.New("config: wrong type")
	// ErrMissing: a required field is absent.
	ErrMissing = errors.New("config: missing field")
	// ErrValue: a value has the right type but is not valid: a bad method,
	// header name, regex, jq expression, path pattern, duration, size,
	// address, URL or enum name, or a value out of range.
	ErrValue = errors.New("config: invalid value")
)

// Error is one problem in a configuration file, at a place in it.
//
// Its text is "FILE:LINE:COL: PATH: what is wrong", e.g.
//
//	hitboxd.yaml:12:7: endpoints[0].request[1].Header: invalid regex "(": ...
//
// Path is the YAML path of the offending value (empty for the document
// itself). Err wraps one of the kinds above ([ErrType], [ErrValue], ...)
// and, where there is one, the underlying cause (a *regexp/syntax.Error,
// a gojq parse error, ...).
type Error struct {
	File      string
	Line, Col int
	Path      string
	Err       error
}

// Error returns "FILE:LINE:COL: PATH: what is wrong".
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d:%d: ", e.File, e.Line, e.Col)
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// Errors is every problem found in a file, sorted by position. Parse and
// Load return it (never empty) as their error, so that a tool shows all
// problems at once.
type Errors []*Error

// Error returns one line per error.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the errors, so that [errors.Is] and [errors.As] look into
// each of them.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

func (es Errors) sort() Errors {
	slices.SortStableFunc(es, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col),
			cmp.Compare(a.Path, b.Path), cmp.Compare(a.Error(), b.Error()))
	})
	return slices.CompactFunc(es, func(a, b *Error) bool { return a.Error() == b.Error() })
}

// Warning is a legal but probably unwanted configuration: an endpoint
// that may cache requests carrying credentials or responses setting
// cookies, a key without a part from the path or the query, and the like.
// `hitboxd check` prints them; they never stop a file from loading.
type Warning struct {
	File      string
	Line, Col int
	Path      string
	Msg       string
}

// String returns "FILE:LINE:COL: PATH: warning: message".
func (w Warning) String() string {
	if w.Path == "" {
		return fmt.Sprintf("%s:%d:%d: warning: %s", w.File, w.Line, w.Col, w.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s: warning: %s", w.File, w.Line, w.Col, w.Path, w.Msg)
}

// Warnings are the warnings of a file, sorted by position.
type Warnings []Warning

func (ws Warnings) sort() Warnings {
	slices.SortStableFunc(ws, func(a, b Warning) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col),
			cmp.Compare(a.Path, b.Path), cmp.Compare(a.Msg, b.Msg))
	})
	return slices.Compact(ws)
}

// detail is the Err of an [*Error]: a message that wraps its kind and,
// when there is one, its cause.
type detail struct {
	kind  error
	msg   string
	cause error
}

func (d *detail) Error() string { return d.msg }

func (d *detail) Unwrap() []error {
	if d.cause == nil {
		return []error{d.kind}
	}
	return []error{d.kind, d.cause}
}

// newDetail formats a message; a %w verb in format names the cause.
func newDetail(kind error, format string, args ...any) *detail {
	err := fmt.Errorf(format, args...)
	return &detail{kind: kind, msg: err.Error(), cause: errors.Unwrap(err)}
}
