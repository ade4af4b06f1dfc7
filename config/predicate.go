package config

import (
	"fmt"
	"math"
	"regexp"
	"strings"

	"github.com/hitbox-go/hitbox/predicate"
)

// side says which predicates a tree may hold.
type side int

const (
	requestSide side = iota + 1
	responseSide
)

var (
	requestPredicateNames  = []string{"Method", "Path", "Header", "Query", "Body", "And", "Or", "Not"}
	responsePredicateNames = []string{"Status", "Header", "Body", "And", "Or", "Not"}
	// Operations on header and query values. exist and exists are the
	// same; config.md writes exist for headers and exists for queries.
	valueOps = []string{"eq", "in", "contains", "regex", "exist", "exists"}
	rawOps   = []string{"eq", "contains", "starts", "ends", "regex"}
)

var opByName = map[string]OpKind{"eq": OpEq, "in": OpIn, "contains": OpContains, "starts": OpStarts,
	"ends": OpEnds, "regex": OpRegex, "exist": OpExist, "exists": OpExist}

// predicates decodes `request` or `response` when present: a flat list
// (And), a single predicate or tree, or null (no condition).
func (d *decoder) predicates(n *node, path string, s side) *Predicate {
	switch n.kind {
	case kindNull:
		return nil
	case kindSeq:
		d.noTag(n, path)
		return d.and(n.items, n, path, s)
	case kindMap:
		return d.predicate(n, path, s)
	}
	d.wrongType(n, path, "a list of predicates or one predicate")
	return nil
}

// and decodes a list of predicates into an And.
func (d *decoder) and(items []*node, n *node, path string, s side) *Predicate {
	p := &Predicate{Kind: And, Loc: loc(n, path)}
	for i, item := range items {
		if op := d.predicate(item, indexPath(path, i), s); op != nil {
			p.Operands = append(p.Operands, op)
		}
	}
	return p
}

// predicate decodes one predicate: a mapping with one key. It returns nil
// after reporting an error.
func (d *decoder) predicate(n *node, path string, s side) *Predicate {
	names := requestPredicateNames
	if s == responseSide {
		names = responsePredicateNames
	}
	if n.kind == kindString {
		example := "Method: GET"
		if s == responseSide {
			example = "Status: 200"
		}
		if suggestion := suggest(n.text, names); suggestion != "" {
			example = suggestion + ": ..."
		}
		d.fail(n, path, ErrType, "want a predicate mapping such as {%s}, got the string %q", example, n.text)
		return nil
	}
	key, val, p, ok := d.single(n, path, "predicate", names)
	if !ok {
		if n.kind == kindMap && len(n.keys) == 1 && s == responseSide && (n.keys[0].text == "Method" || n.keys[0].text == "Path" || n.keys[0].text == "Query") {
			d.errs[len(d.errs)-1].Err = newDetail(ErrUnknownField, "%s is a request predicate: response predicates are %s", n.keys[0].text, strings.Join(names, ", "))
		}
		return nil
	}
	out := &Predicate{Loc: loc(n, p)}
	switch key {
	case "And", "Or":
		out.Kind = And
		if key == "Or" {
			out.Kind = Or
		}
		if val.kind == kindNull {
			return out // an empty And or Or is neutral
		}
		items, ok := d.list(val, p, "a list of predicates")
		if !ok {
			return nil
		}
		for i, item := range items {
			if op := d.predicate(item, indexPath(p, i), s); op != nil {
				out.Operands = append(out.Operands, op)
			}
		}
	case "Not":
		out.Kind = Not
		var operand *Predicate
		switch val.kind {
		case kindMap:
			operand = d.predicate(val, p, s)
		case kindSeq:
			operand = d.and(val.items, val, p, s)
		default:
			d.wrongType(val, p, "a predicate (or a list of them)")
		}
		if operand == nil {
			return nil
		}
		out.Operands = []*Predicate{operand}
	case "Method":
		out.Kind = Method
		methods, ok := d.methods(val, p)
		if !ok {
			return nil
		}
		out.Methods = methods
	case "Path":
		out.Kind = Path
		pattern, ok := d.str(val, p, "a path pattern")
		if !ok {
			return nil
		}
		if _, err := predicate.Path(pattern); err != nil {
			d.fail(val, p, ErrValue, "%s", strings.TrimPrefix(err.Error(), "predicate: "))
			return nil
		}
		out.Pattern = pattern
	case "Header", "Query":
		return d.nameOps(val, p, key)
	case "Body":
		out.Kind = Body
		body, ok := d.bodyCondition(val, p)
		if !ok {
			return nil
		}
		out.Body = body
	case "Status":
		out.Kind = Status
		st, ok := d.status(val, p)
		if !ok {
			return nil
		}
		out.Status = st
	}
	return out
}

// methods reads `Method: GET` or `Method: [GET, HEAD]`.
func (d *decoder) methods(n *node, path string) ([]string, bool) {
	var items []*node
	switch n.kind {
	case kindString:
		items = []*node{n}
	case kindSeq:
		items = n.items
	default:
		d.wrongType(n, path, "a method or a list of methods")
		return nil, false
	}
	d.noTag(n, path)
	methods := []string{}
	ok := true
	for i, item := range items {
		p := path
		if n.kind == kindSeq {
			p = indexPath(path, i)
		}
		m, isStr := d.str(item, p, "a method name")
		if !isStr {
			ok = false
			continue
		}
		if !isToken(m) {
			d.fail(item, p, ErrValue, "invalid method %q (a method is an HTTP token such as GET)", m)
			ok = false
			continue
		}
		if up := strings.ToUpper(m); up != m && isStandardMethod(up) {
			d.warn(loc(item, p), "method %q never matches %s: methods are case-sensitive", m, up)
		}
		methods = append(methods, m)
	}
	return methods, ok
}

func isStandardMethod(m string) bool {
	switch m {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE", "QUERY":
		return true
	}
	return false
}

// isToken reports whether s is an RFC 9110 token (methods, header names).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// nameOps decodes a Header or Query predicate: hitbox 0.2's named form
// {name: X, eq: v} (a mapping with name and one operation), or the map
// form {name: value-or-operation, ...}.
func (d *decoder) nameOps(n *node, path, what string) *Predicate {
	kind := Header
	if what == "Query" {
		kind = Query
	}
	if n.kind != kindMap {
		d.wrongType(n, path, fmt.Sprintf("a mapping of %s names to values or operations", strings.ToLower(what)))
		return nil
	}
	d.noTag(n, path)
	if len(n.keys) == 0 {
		d.fail(n, path, ErrValue, "no %s names: write {name: value, ...}", strings.ToLower(what))
		return nil
	}
	if name := n.get("name"); name != nil && len(n.keys) == 2 {
		opKey, opVal := n.keys[0], n.vals[0]
		if opKey.text == "name" {
			opKey, opVal = n.keys[1], n.vals[1]
		}
		if _, isOp := opByName[opKey.text]; isOp && isValueOp(opKey.text) {
			namePath := joinPath(path, "name")
			text, ok := d.str(name, namePath, "a "+strings.ToLower(what)+" name")
			if !ok || !d.checkName(name, namePath, kind, text) {
				return nil
			}
			op, ok := d.opFromKey(opKey.text, opVal, joinPath(path, opKey.text))
			if !ok {
				return nil
			}
			return &Predicate{Kind: kind, Loc: loc(n, path), Name: text, Op: op}
		}
	}
	var preds []*Predicate
	ok := true
	for i, k := range n.keys {
		p := joinPath(path, k.text)
		if !d.checkName(k, p, kind, k.text) {
			ok = false
			continue
		}
		op, opOK := d.valueOp(n.vals[i], p)
		if !opOK {
			ok = false
			continue
		}
		preds = append(preds, &Predicate{Kind: kind, Loc: loc(k, p), Name: k.text, Op: op})
	}
	if !ok {
		return nil
	}
	if len(preds) == 1 {
		preds[0].Loc = loc(n, path)
		return preds[0]
	}
	return &Predicate{Kind: And, Loc: loc(n, path), Operands: preds}
}

func isValueOp(name string) bool {
	for _, op := range valueOps {
		if op == name {
			return true
		}
	}
	return false
}

func (d *decoder) checkName(n *node, path string, kind PredicateKind, name string) bool {
	name = strings.TrimSpace(name)
	if kind == Header && !isToken(name) {
		d.fail(n, path, ErrValue, "invalid header name %q", name)
		return false
	}
	if name == "" {
		d.fail(n, path, ErrValue, "empty %s name", strings.ToLower(kind.String()))
		return false
	}
	return true
}

// valueOp decodes the value of a Header or Query map entry: a scalar (eq),
// a list (in), an operation mapping, or a tagged value (!in, !regex, ...).
func (d *decoder) valueOp(n *node, path string) (Op, bool) {
	if n.tag != "" {
		name := strings.TrimPrefix(n.tag, "!")
		if !isValueOp(name) {
			if s := suggest(name, valueOps); s != "" {
				d.fail(n, path, ErrValue, "unknown operation tag %s (did you mean !%s?)", n.tag, s)
			} else {
				d.fail(n, path, ErrValue, "unknown operation tag %s (want !%s)", n.tag, strings.Join(valueOps, ", !"))
			}
			return Op{}, false
		}
		untagged := *n
		untagged.tag = ""
		return d.opFromKey(name, &untagged, path)
	}
	switch n.kind {
	case kindString, kindInt, kindFloat, kindBool:
		return Op{Kind: OpEq, Values: []string{n.text}}, true
	case kindSeq:
		return d.opFromKey("in", n, path)
	case kindMap:
		key, val, p, ok := d.single(n, path, "operation", valueOps)
		if !ok {
			return Op{}, false
		}
		return d.opFromKey(key, val, p)
	}
	d.fail(n, path, ErrType, "want a value, a list of values or an operation, got null (write {exist: ~} to require presence)")
	return Op{}, false
}

// opFromKey decodes the argument of operation name.
func (d *decoder) opFromKey(name string, n *node, path string) (Op, bool) {
	kind := opByName[name]
	switch kind {
	case OpExist:
		if n.kind == kindBool && !n.b {
			d.warn(loc(n, path), "%s: false still requires presence (exist ignores its argument); use Not to require absence", name)
		}
		return Op{Kind: OpExist}, d.noTag(n, path)
	case OpIn:
		items, ok := d.list(n, path, "a list of values")
		if !ok {
			return Op{}, false
		}
		values := []string{}
		for i, item := range items {
			text, isScalar := item.scalarText()
			if !isScalar || item.tag != "" {
				d.wrongType(item, indexPath(path, i), "a value (string, number or boolean)")
				return Op{}, false
			}
			values = append(values, text)
		}
		return Op{Kind: OpIn, Values: values}, true
	case OpRegex:
		expr, ok := d.str(n, path, "a regular expression")
		if !ok {
			return Op{}, false
		}
		if _, err := regexp.Compile(expr); err != nil {
			d.fail(n, path, ErrValue, "invalid regex %q: %w", expr, err)
			return Op{}, false
		}
		return Op{Kind: OpRegex, Values: []string{expr}}, true
	default: // eq, contains, starts, ends
		text, ok := n.scalarText()
		if !ok {
			d.wrongType(n, path, "a value (string, number or boolean)")
			return Op{}, false
		}
		return Op{Kind: kind, Values: []string{text}}, d.noTag(n, path)
	}
}

// bodyCondition decodes a Body predicate's value.
func (d *decoder) bodyCondition(n *node, path string) (BodyCondition, bool) {
	var b BodyCondition
	if n.kind == kindString && n.tag == "" {
		b.JQ = n.text
		return b, d.jq(n, path, n.text)
	}
	key, val, p, ok := d.single(n, path, "body condition", []string{"jq", "eq", "contains", "starts", "ends", "regex", "limit"})
	if !ok {
		return b, false
	}
	switch key {
	case "jq":
		if val.kind == kindString {
			b.JQ = val.text
			return b, d.noTag(val, p) && d.jq(val, p, val.text)
		}
		fs, ok := d.fields(val, p, "a jq expression or a mapping (expression, eq, in, exist)", false, "expression", "eq", "in", "exist", "exists")
		if !ok {
			return b, false
		}
		expr, hasExpr := fs["expression"]
		if !hasExpr {
			d.fail(val, joinPath(p, "expression"), ErrMissing, "missing expression")
			return b, false
		}
		if b.JQ, ok = d.str(expr.val, expr.path, "a jq expression"); !ok || !d.jq(expr.val, expr.path, b.JQ) {
			return b, false
		}
		var ops []entry
		for _, name := range []string{"eq", "in", "exist", "exists"} {
			if e, ok := fs[name]; ok {
				ops = append(ops, e)
			}
		}
		if len(ops) > 1 {
			d.fail(ops[1].key, ops[1].path, ErrValue, "one operation per jq condition (%s and %s)", ops[0].key.text, ops[1].key.text)
			return b, false
		}
		if len(ops) == 0 {
			return b, true // the expression must yield true
		}
		op := ops[0]
		switch op.key.text {
		case "eq":
			b.JQOp = OpEq
			b.JSONValues = []any{jsonValue(op.val)}
		case "in":
			items, ok := d.list(op.val, op.path, "a list of values")
			if !ok {
				return b, false
			}
			b.JQOp = OpIn
			b.JSONValues = []any{}
			for _, item := range items {
				b.JSONValues = append(b.JSONValues, jsonValue(item))
			}
		default:
			b.JQOp = OpExist
		}
		return b, true
	case "limit":
		size, ok := d.size(val, p)
		b.Limit = size
		return b, ok
	default:
		op, ok := d.opFromKey(key, val, p)
		b.Op = op
		return b, ok
	}
}

// jq checks a jq expression.
func (d *decoder) jq(n *node, path, expr string) bool {
	if _, err := predicate.JQ(expr); err != nil {
		d.fail(n, path, ErrValue, "%s", strings.TrimPrefix(err.Error(), "predicate: "))
		return false
	}
	return true
}

// status decodes a Status predicate's value.
func (d *decoder) status(n *node, path string) (StatusCondition, bool) {
	var s StatusCondition
	switch n.kind {
	case kindInt:
		c, ok := d.integer(n, path, 100, 999)
		s.Codes = []int{int(c)}
		return s, ok
	case kindString:
		s.Class, _ = d.class(n, path)
		return s, s.Class != 0
	case kindSeq:
		codes, ok := d.codes(n, path)
		s.Codes = codes
		return s, ok
	case kindMap:
	default:
		d.wrongType(n, path, "a status code, a list of codes, a class or a mapping (eq, in, class, range)")
		return s, false
	}
	key, val, p, ok := d.single(n, path, "status condition", []string{"eq", "in", "class", "range"})
	if !ok {
		return s, false
	}
	switch key {
	case "eq":
		c, ok := d.integer(val, p, 100, 999)
		s.Codes = []int{int(c)}
		return s, ok
	case "in":
		codes, ok := d.codes(val, p)
		s.Codes = codes
		return s, ok
	case "class":
		s.Class, _ = d.class(val, p)
		return s, s.Class != 0
	}
	items, ok := d.list(val, p, "a range [low, high]")
	if !ok {
		return s, false
	}
	if len(items) != 2 {
		d.fail(val, p, ErrValue, "a range has two codes [low, high], got %d", len(items))
		return s, false
	}
	lo, okLo := d.integer(items[0], indexPath(p, 0), 100, 999)
	hi, okHi := d.integer(items[1], indexPath(p, 1), 100, 999)
	if !okLo || !okHi {
		return s, false
	}
	if lo > hi {
		d.fail(val, p, ErrValue, "empty range [%d, %d]: low is above high", lo, hi)
		return s, false
	}
	s.Range, s.Min, s.Max = true, int(lo), int(hi)
	return s, true
}

func (d *decoder) codes(n *node, path string) ([]int, bool) {
	items, ok := d.list(n, path, "a list of status codes")
	if !ok {
		return nil, false
	}
	codes := []int{}
	for i, item := range items {
		c, ok := d.integer(item, indexPath(path, i), 100, 999)
		if !ok {
			return nil, false
		}
		codes = append(codes, int(c))
	}
	return codes, true
}

func (d *decoder) class(n *node, path string) (StatusClass, bool) {
	i, ok := d.enum(n, path, "status class", statusClassNames)
	return StatusClass(i), ok
}

// jsonValue converts a YAML value into the JSON value jq compares with:
// strings, float64 or int64 numbers, booleans, nil, []any and
// map[string]any. Tags are dropped.
func jsonValue(n *node) any {
	switch n.kind {
	case kindString:
		return n.text
	case kindInt:
		if n.intOK {
			return n.i
		}
		return n.text
	case kindFloat:
		if math.IsInf(n.f, 0) || math.IsNaN(n.f) {
			return n.text
		}
		return n.f
	case kindBool:
		return n.b
	case kindSeq:
		out := make([]any, len(n.items))
		for i, item := range n.items {
			out[i] = jsonValue(item)
		}
		return out
	case kindMap:
		out := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			out[k.text] = jsonValue(n.vals[i])
		}
		return out
	}
	return nil
}
