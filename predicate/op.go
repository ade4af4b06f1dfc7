package predicate

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Op is an operation on a text value: a header or query parameter value
// ([Header], [ResponseHeader], [Query]) or the raw bytes of a body ([Raw]).
// Build one with [Eq], [In], [Contains], [Starts], [Ends], [Regex] or
// [Exist]. The zero Op is no operation: the constructors that take one
// reject it.
//
// An Op is immutable and safe for concurrent use.
type Op struct {
	kind   opKind
	values []string       // Eq: one value; In: every value; Contains/Starts/Ends: one value
	needle []byte         // Contains/Starts/Ends: values[0] as bytes, for bodies
	re     *regexp.Regexp // Regex
}

type opKind uint8

const (
	opEq opKind = iota + 1
	opIn
	opContains
	opStarts
	opEnds
	opRegex
	opExist
)

// Eq is the operation "the value equals v" (case-sensitive).
func Eq(v string) Op { return Op{kind: opEq, values: []string{v}} }

// In is the operation "the value is one of vs". With no vs it never holds.
func In(vs ...string) Op { return Op{kind: opIn, values: slices.Clone(vs)} }

// Contains is the operation "the value contains sub".
func Contains(sub string) Op { return textOp(opContains, sub) }

// Starts is the operation "the value starts with prefix".
func Starts(prefix string) Op { return textOp(opStarts, prefix) }

// Ends is the operation "the value ends with suffix".
func Ends(suffix string) Op { return textOp(opEnds, suffix) }

func textOp(kind opKind, v string) Op {
	return Op{kind: kind, values: []string{v}, needle: []byte(v)}
}

// Regex is the operation "the regular expression (RE2 syntax) matches
// somewhere in the value": it searches, so it is unanchored unless expr
// anchors itself with ^ or $. A bad expression is an error naming it.
func Regex(expr string) (Op, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return Op{}, fmt.Errorf("predicate: invalid regex %q: %w", expr, err)
	}
	return Op{kind: opRegex, re: re}, nil
}

// Exist is the operation "the header or parameter is present", whatever
// its value (an empty one included). It has no meaning on a raw body.
func Exist() Op { return Op{kind: opExist} }

// String describes the operation, e.g. `eq "v"` or `in ["a" "b"]`.
func (o Op) String() string {
	switch o.kind {
	case opEq:
		return fmt.Sprintf("eq %q", o.values[0])
	case opIn:
		return fmt.Sprintf("in %q", o.values)
	case opContains:
		return fmt.Sprintf("contains %q", o.values[0])
	case opStarts:
		return fmt.Sprintf("starts %q", o.values[0])
	case opEnds:
		return fmt.Sprintf("ends %q", o.values[0])
	case opRegex:
		return fmt.Sprintf("regex %q", o.re.String())
	case opExist:
		return "exist"
	default:
		return "none"
	}
}

// trimmed returns o with its configured values trimmed of surrounding
// whitespace (regular expressions are kept as written).
func (o Op) trimmed() Op {
	if len(o.values) == 0 {
		return o
	}
	vs := make([]string, len(o.values))
	for i, v := range o.values {
		vs[i] = strings.TrimSpace(v)
	}
	o.values = vs
	if o.needle != nil {
		o.needle = []byte(vs[0])
	}
	return o
}

// matchAny reports whether the values satisfy o: Exist holds when there is
// at least one value, every other operation when any one value does.
func (o *Op) matchAny(values []string) bool {
	if o.kind == opExist {
		return len(values) > 0
	}
	for _, v := range values {
		if o.match(v) {
			return true
		}
	}
	return false
}

// match reports whether one value satisfies o. Exist holds for any value.
func (o *Op) match(v string) bool {
	switch o.kind {
	case opEq:
		return v == o.values[0]
	case opIn:
		return slices.Contains(o.values, v)
	case opContains:
		return strings.Contains(v, o.values[0])
	case opStarts:
		return strings.HasPrefix(v, o.values[0])
	case opEnds:
		return strings.HasSuffix(v, o.values[0])
	case opRegex:
		return o.re.MatchString(v)
	case opExist:
		return true
	default:
		return false
	}
}

// matchBytes is match on a byte slice, without copying it.
func (o *Op) matchBytes(b []byte) bool {
	switch o.kind {
	case opEq:
		return string(b) == o.values[0]
	case opIn:
		for _, v := range o.values {
			if string(b) == v {
				return true
			}
		}
		return false
	case opContains:
		return bytes.Contains(b, o.needle)
	case opStarts:
		return bytes.HasPrefix(b, o.needle)
	case opEnds:
		return bytes.HasSuffix(b, o.needle)
	case opRegex:
		return o.re.Match(b)
	default:
		return false
	}
}
