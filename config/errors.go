package config

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Kinds of configuration errors: every [*Error] wraps exactly one.
var (
	// ErrSyntax: the file is not well-formed YAML.
	ErrSyntax = errors.New("config: YAML syntax error")
	// ErrUnknownField: an unknown field, predicate, extractor, operation
	// or transform.
	ErrUnknownField = errors.New("config: unknown field")
	// ErrType: a value has the wrong YAML type.
	ErrType = errors.New("config: wrong type")
	// ErrMissing: a required field is absent.
	ErrMissing = errors.New("config: missing field")
	// ErrValue: a value has the right type but is not valid (a bad name,
	// regex, jq expression, pattern, duration, size, address, URL, or a
	// value out of range).
	ErrValue = errors.New("config: invalid value")
)

// Error is one problem in a configuration file, at a place in it: its
// text is "FILE:LINE:COL: PATH: what is wrong". Path is the YAML path of
// the offending value (empty for the document). Err wraps one of the
// kinds above and, where there is one, the underlying cause (a
// *regexp/syntax.Error, a gojq parse error, ...).
type Error struct {
	File      string
	Line, Col int
	Path      string
	Err       error
}

// Error returns "FILE:LINE:COL: PATH: what is wrong".
func (e *Error) Error() string {
	msg := ""
	if e.Err != nil {
		msg = e.Err.Error()
	}
	return at(e.File, e.Line, e.Col, e.Path) + msg
}

// at is the "FILE:LINE:COL: PATH: " that starts an error or a warning;
// without a path, "FILE:LINE:COL: ".
func at(file string, line, col int, path string) string {
	if path != "" {
		path += ": "
	}
	return fmt.Sprintf("%s:%d:%d: %s", file, line, col, path)
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// Errors is every problem found in a file, sorted by position: Parse and
// Load return it (never empty) as their error.
type Errors []*Error

// Error returns one line per error.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the errors, for [errors.Is] and [errors.As].
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

// Warning is a legal but probably unwanted setting (an endpoint that may
// cache requests carrying credentials, a key without a part from the URL,
// ...). `hitboxd check` prints them; they never stop a file from loading.
type Warning struct {
	File      string
	Line, Col int
	Path      string
	Msg       string
}

// String returns "FILE:LINE:COL: PATH: warning: message".
func (w Warning) String() string { return at(w.File, w.Line, w.Col, w.Path) + "warning: " + w.Msg }

// Warnings are the warnings of a file, sorted by position.
type Warnings []Warning

func (ws Warnings) sort() Warnings {
	slices.SortStableFunc(ws, func(a, b Warning) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col),
			cmp.Compare(a.Path, b.Path), cmp.Compare(a.Msg, b.Msg))
	})
	return slices.Compact(ws)
}

// detail is the Err of an [*Error]: a message wrapping its kind and, when
// there is one, its cause.
type detail struct {
	kind  error
	msg   string
	cause error
}

func (d *detail) Error() string { return d.msg }

func (d *detail) Unwrap() []error {
	return slices.DeleteFunc([]error{d.kind, d.cause}, func(err error) bool { return err == nil })
}

// newDetail formats a message; a %w verb in format names the cause.
func newDetail(kind error, format string, args ...any) *detail {
	err := fmt.Errorf(format, args...)
	return &detail{kind: kind, msg: err.Error(), cause: errors.Unwrap(err)}
}

func (r *decoder) add(l Loc, d *detail) {
	r.errs = append(r.errs, &Error{File: r.file, Line: max(l.Line, 1), Col: max(l.Col, 1), Path: l.Path, Err: d})
}

func (r *decoder) failAt(l Loc, kind error, format string, args ...any) {
	r.add(l, newDetail(kind, format, args...))
}

func (r *decoder) fail(n *node, path string, kind error, format string, args ...any) {
	r.add(loc(n, path), newDetail(kind, format, args...))
}

// checkAt reports err, from a library's constructor or Validate, at l
// (without the package's prefix, keeping err as the cause) and tells
// whether there was none.
func (r *decoder) checkAt(l Loc, err error) bool {
	if err != nil {
		r.add(l, &detail{kind: ErrValue, msg: trimPkg(err.Error()), cause: err})
	}
	return err == nil
}

func (r *decoder) check(n *node, path string, err error) bool { return r.checkAt(loc(n, path), err) }

func (r *decoder) warn(l Loc, format string, args ...any) {
	r.warns = append(r.warns, Warning{File: r.file, Line: max(l.Line, 1), Col: max(l.Col, 1), Path: l.Path, Msg: fmt.Sprintf(format, args...)})
}

// trimPkg removes the package prefixes of the libraries' error texts.
func trimPkg(s string) string {
	for _, p := range []string{"extract: ", "predicate: "} {
		if t, ok := strings.CutPrefix(s, p); ok {
			return trimPkg(t)
		}
	}
	return s
}
