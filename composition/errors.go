package composition

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrClosed is returned (wrapped) by every method of a [Composition] after
// [Composition.Close].
var ErrClosed = errors.New("composition: closed")

// Error reports the failure of one or more layers of a composition: which
// operation, which layers (by label) and why. When both layers failed, it
// holds both causes, and [errors.Is] and [errors.As] find either of them
// through Unwrap.
//
// A failure inside a nested composition is reported with the nested
// layers' own labels ("l2.l1") rather than wrapped once more.
type Error struct {
	// Op is the operation: "get", "set", "delete", "list", "purge" or
	// "lock".
	Op string
	// Labels names the failed layers, outermost L1 first; Labels[i] failed
	// with Errs[i].
	Labels []string
	// Errs holds the causes, in the order of Labels.
	Errs []error
}

// Error returns "composition: OP: LABEL: CAUSE", with one "LABEL: CAUSE" per
// failed layer separated by "; ".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("composition: ")
	b.WriteString(e.Op)
	for i, err := range e.Errs {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		if i < len(e.Labels) && e.Labels[i] != "" {
			b.WriteString(e.Labels[i])
			b.WriteString(": ")
		}
		if err == nil {
			b.WriteString("<nil>")
		} else {
			b.WriteString(err.Error())
		}
	}
	return b.String()
}

// Unwrap returns the causes, for [errors.Is] and [errors.As].
func (e *Error) Unwrap() []error { return e.Errs }

// layerErr is one layer's failure before it is reported.
type layerErr struct {
	label string
	err   error
}

// newError builds the *Error for op from the failures of its layers, in
// order; a failure that is itself a composition's *Error is flattened into
// its own layers.
func newError(op string, fails ...layerErr) *Error {
	e := &Error{Op: op}
	for _, f := range fails {
		if f.err == nil {
			continue
		}
		var inner *Error
		if errors.As(f.err, &inner) && inner == f.err {
			e.Labels = append(e.Labels, inner.Labels...)
			e.Errs = append(e.Errs, inner.Errs...)
			continue
		}
		e.Labels = append(e.Labels, f.label)
		e.Errs = append(e.Errs, f.err)
	}
	return e
}

// ctxError is returned when the caller's context ends while a composition
// waits for its layers.
func ctxError(op string, ctx context.Context) error {
	return fmt.Errorf("composition: %s: %w", op, context.Cause(ctx))
}
