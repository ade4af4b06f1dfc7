package config

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/hitbox-go/hitbox/internal/rfc9111"
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
	// Operations on header and query values (exist and exists are one).
	valueOps = []string{"eq", "in", "contains", "regex", "exist", "exists"}
)

// cond is a decoded predicate: the library's value for its side (req or
// resp), and what the dump and the warnings read of it.
type cond struct {
	kind    string // And, Or, Not, Method, Path, Header, Query, Body or Status
	loc     Loc
	text    string // a leaf, as the dump writes it
	kids    []*cond
	name    string // the header or parameter of Header and Query
	exist   bool   // Header and Query: the operation is exist
	pattern string // Path's
	req     predicate.Request
	resp    predicate.Response
}

// set gives c its value on side s.
func (c *cond) set(s side, req predicate.Request, resp predicate.Response) *cond {
	if s == requestSide {
		c.req = req
	} else {
		c.resp = resp
	}
	return c
}

func combine[T any](c *cond, get func(*cond) predicate.Predicate[T]) predicate.Predicate[T] {
	ps := make([]predicate.Predicate[T], len(c.kids))
	for i, k := range c.kids {
		ps[i] = get(k)
	}
	switch c.kind {
	case "Or":
		return predicate.Or(ps...)
	case "Not":
		return predicate.Not(ps[0])
	}
	return predicate.And(ps...)
}

// join gives a combinator its value from its operands'.
func (c *cond) join(s side) *cond {
	return c.set(s, combine(c, func(k *cond) predicate.Request { return k.req }),
		combine(c, func(k *cond) predicate.Response { return k.resp }))
}

// predicates decodes `request` or `response` when present: a flat list
// (And), a single predicate or tree, or null (no condition).
func (d *decoder) predicates(n *node, path string, s side) *cond {
	switch n.kind {
	case kindNull:
		return nil
	case kindSeq:
		d.noTag(n, path)
		return d.group("And", loc(n, path), n.items, path, s)
	case kindMap:
		return d.predicate(n, path, s)
	}
	d.wrongType(n, path, "a list of predicates or one predicate")
	return nil
}

// group decodes a list of predicates into an And or an Or.
func (d *decoder) group(kind string, l Loc, items []*node, path string, s side) *cond {
	c := &cond{kind: kind, loc: l}
	for i, item := range items {
		if op := d.predicate(item, indexPath(path, i), s); op != nil {
			c.kids = append(c.kids, op)
		}
	}
	return c.join(s)
}

// predicate decodes one predicate, a mapping with one key; nil on error.
func (d *decoder) predicate(n *node, path string, s side) *cond {
	names, example := requestPredicateNames, "Method: GET"
	if s == responseSide {
		names, example = responsePredicateNames, "Status: 200"
	}
	if n.kind == kindString {
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
	c := &cond{kind: key, loc: loc(n, p)}
	switch key {
	case "And", "Or":
		if val.kind == kindNull {
			return c.join(s) // an empty And or Or is neutral
		}
		items, ok := d.list(val, p, "a list of predicates")
		if !ok {
			return nil
		}
		return d.group(key, c.loc, items, p, s)
	case "Not":
		var operand *cond
		switch val.kind {
		case kindMap:
			operand = d.predicate(val, p, s)
		case kindSeq:
			operand = d.group("And", loc(val, p), val.items, p, s)
		default:
			d.wrongType(val, p, "a predicate (or a list of them)")
		}
		if operand == nil {
			return nil
		}
		c.kids = []*cond{operand}
		return c.join(s)
	case "Method":
		methods, ok := d.methods(val, p)
		m, err := predicate.Method(methods...)
		c.text = fmt.Sprintf("Method in %q", methods)
		return c.set(s, m, nil).ok(ok && d.check(val, p, err))
	case "Path":
		pattern, ok := d.str(val, p, "a path pattern")
		pp, err := predicate.Path(pattern)
		c.text, c.pattern = fmt.Sprintf("Path %q", pattern), pattern
		return c.set(s, pp, nil).ok(ok && d.check(val, p, err))
	case "Header", "Query":
		return d.nameOps(val, p, key, s)
	case "Body":
		m, ok := d.bodyCondition(val, p)
		c.text = "Body " + m.String()
		return c.set(s, predicate.Body(m, predicate.BodyOptions{}), predicate.ResponseBody(m, predicate.BodyOptions{})).ok(ok)
	}
	r, text, ok := d.status(val, p)
	c.text = "Status " + text
	return c.set(s, nil, r).ok(ok)
}

func (c *cond) ok(ok bool) *cond {
	if !ok {
		return nil
	}
	return c
}

// methods reads `Method: GET` or `Method: [GET, HEAD]`.
func (d *decoder) methods(n *node, path string) ([]string, bool) {
	if n.kind != kindString && n.kind != kindSeq {
		d.wrongType(n, path, "a method or a list of methods")
		return nil, false
	}
	d.noTag(n, path)
	items, methods := oneOrList(n, path), []string{}
	for _, e := range items {
		m, isStr := d.str(e.val, e.path, "a method name")
		if !isStr || !d.check(e.val, e.path, methodErr(m)) {
			continue
		}
		if up := strings.ToUpper(m); up != m && slices.Contains(standardMethods, up) {
			d.warn(loc(e.val, e.path), "method %q never matches %s: methods are case-sensitive", m, up)
		}
		methods = append(methods, m)
	}
	return methods, len(methods) == len(items)
}

// oneOrList returns the items of the list n with their paths, or n alone.
func oneOrList(n *node, path string) []entry {
	if n.kind != kindSeq {
		return []entry{{val: n, path: path}}
	}
	out := make([]entry, len(n.items))
	for i, item := range n.items {
		out[i] = entry{val: item, path: indexPath(path, i)}
	}
	return out
}

var standardMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE", "QUERY"}

// methodErr is predicate's error for the method m, if any.
func methodErr(m string) error {
	_, err := predicate.Method(m)
	return err
}

// nameOps decodes a Header or Query predicate: hitbox 0.2's named form
// {name: X, eq: v} (a mapping with name and one operation), or the map
// form {name: value-or-operation, ...}.
func (d *decoder) nameOps(n *node, path, what string, s side) *cond {
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
		if slices.Contains(valueOps, opKey.text) {
			namePath := joinPath(path, "name")
			text, ok := d.str(name, namePath, "a "+strings.ToLower(what)+" name")
			if !ok || !d.checkName(name, namePath, what, strings.TrimSpace(text), false) {
				return nil
			}
			op, ok := d.opFromKey(opKey.text, opVal, joinPath(path, opKey.text))
			if !ok {
				return nil
			}
			return d.nameOp(n, path, what, text, op, s)
		}
	}
	c := &cond{kind: "And", loc: loc(n, path)}
	for i, k := range n.keys {
		p := joinPath(path, k.text)
		if d.checkName(k, p, what, strings.TrimSpace(k.text), false) {
			if op, ok := d.valueOp(n.vals[i], p); ok {
				c.kids = append(c.kids, d.nameOp(k, p, what, k.text, op, s))
			}
		}
	}
	if len(c.kids) < len(n.keys) { // an error
		return nil
	}
	if len(c.kids) == 1 {
		c.kids[0].loc = loc(n, path)
		return c.kids[0]
	}
	return c.join(s)
}

// nameOp builds one Header or Query predicate.
func (d *decoder) nameOp(n *node, path, what, name string, op predicate.Op, s side) *cond {
	c := &cond{kind: what, loc: loc(n, path), name: name, exist: op.String() == "exist",
		text: fmt.Sprintf("%s %q %s", what, name, op)}
	var err error
	switch {
	case what == "Query":
		c.req, err = predicate.Query(name, op)
	case s == requestSide:
		c.req, err = predicate.Header(name, op)
	default:
		c.resp, err = predicate.ResponseHeader(name, op)
	}
	d.check(n, path, err)
	return c
}

// checkName reports an empty name, or a header name (or prefix, which
// may be empty) that is no HTTP token, as predicate and extract need them.
func (d *decoder) checkName(n *node, path, what, name string, prefix bool) bool {
	switch {
	case what == "Header" && !(prefix && name == "") && !rfc9111.IsToken(name):
		desc := "header name"
		if prefix {
			desc = "header name prefix"
		}
		d.fail(n, path, ErrValue, "invalid %s %q", desc, name)
	case name == "" && !prefix:
		d.fail(n, path, ErrValue, "empty %s name", strings.ToLower(what))
	default:
		return true
	}
	return false
}

// valueOp decodes the value of a Header or Query map entry: a scalar (eq),
// a list (in), an operation mapping, or a tagged value (!in, !regex, ...).
func (d *decoder) valueOp(n *node, path string) (predicate.Op, bool) {
	if n.tag != "" {
		name := strings.TrimPrefix(n.tag, "!")
		if !slices.Contains(valueOps, name) {
			want := "want !" + strings.Join(valueOps, ", !")
			if s := suggest(name, valueOps); s != "" {
				want = "did you mean !" + s + "?"
			}
			d.fail(n, path, ErrValue, "unknown operation tag %s (%s)", n.tag, want)
			return predicate.Op{}, false
		}
		untagged := *n
		untagged.tag = ""
		return d.opFromKey(name, &untagged, path)
	}
	switch n.kind {
	case kindString, kindInt, kindFloat, kindBool:
		return predicate.Eq(n.text), true
	case kindSeq:
		return d.opFromKey("in", n, path)
	case kindMap:
		key, val, p, ok := d.single(n, path, "operation", valueOps)
		if !ok {
			return predicate.Op{}, false
		}
		return d.opFromKey(key, val, p)
	}
	d.fail(n, path, ErrType, "want a value, a list of values or an operation, got null (write {exist: ~} to require presence)")
	return predicate.Op{}, false
}

// textOps are the operations on one text value.
var textOps = map[string]func(string) predicate.Op{"eq": predicate.Eq, "contains": predicate.Contains,
	"starts": predicate.Starts, "ends": predicate.Ends}

// opFromKey decodes the argument of operation name.
func (d *decoder) opFromKey(name string, n *node, path string) (predicate.Op, bool) {
	switch name {
	case "exist", "exists":
		if n.kind == kindBool && !n.b {
			d.warn(loc(n, path), "%s: false still requires presence (exist ignores its argument); use Not to require absence", name)
		}
		return predicate.Exist(), d.noTag(n, path)
	case "in":
		items, ok := d.list(n, path, "a list of values")
		if !ok {
			return predicate.Op{}, false
		}
		values := []string{}
		for i, item := range items {
			text, isScalar := item.scalarText()
			if !isScalar || item.tag != "" {
				d.wrongType(item, indexPath(path, i), "a value (string, number or boolean)")
				return predicate.Op{}, false
			}
			values = append(values, text)
		}
		return predicate.In(values...), true
	case "regex":
		expr, ok := d.str(n, path, "a regular expression")
		if !ok {
			return predicate.Op{}, false
		}
		op, err := predicate.Regex(expr)
		return op, d.check(n, path, err)
	}
	text, ok := n.scalarText()
	if !ok {
		d.wrongType(n, path, "a value (string, number or boolean)")
		return predicate.Op{}, false
	}
	return textOps[name](text), d.noTag(n, path)
}

// bodyCondition decodes a Body predicate's value into its matcher.
func (d *decoder) bodyCondition(n *node, path string) (predicate.BodyMatcher, bool) {
	if n.kind == kindString && n.tag == "" {
		return d.bodyJQ(n, path)
	}
	var m predicate.BodyMatcher
	key, val, p, ok := d.single(n, path, "body condition", []string{"jq", "eq", "contains", "starts", "ends", "regex", "limit"})
	if !ok {
		return m, false
	}
	var err error
	switch key {
	case "jq":
		return d.bodyJQ(val, p)
	case "limit":
		size, ok := d.size(val, p)
		if !ok {
			return m, false
		}
		m, err = predicate.Limit(size)
	default:
		op, ok := d.opFromKey(key, val, p)
		if !ok {
			return m, false
		}
		m, err = predicate.Raw(op)
	}
	return m, d.check(val, p, err)
}

// bodyJQ decodes `Body: {jq: expr}` and `Body: {jq: {expression, eq|in|exist}}`.
func (d *decoder) bodyJQ(n *node, path string) (predicate.BodyMatcher, bool) {
	var m predicate.BodyMatcher
	if n.kind == kindString {
		m, err := predicate.JQ(n.text)
		return m, d.noTag(n, path) && d.check(n, path, err)
	}
	fs, ok := d.fields(n, path, "a jq expression or a mapping (expression, eq, in, exist)", false, "expression", "eq", "in", "exist", "exists")
	if !ok {
		return m, false
	}
	e, hasExpr := fs["expression"]
	if !hasExpr {
		d.fail(n, joinPath(path, "expression"), ErrMissing, "missing expression")
		return m, false
	}
	expr, ok := d.str(e.val, e.path, "a jq expression")
	if !ok {
		return m, false
	}
	m, err := predicate.JQ(expr) // the expression must yield true, unless an operation follows
	if !d.check(e.val, e.path, err) {
		return m, false
	}
	var ops []entry
	for _, name := range []string{"eq", "in", "exist", "exists"} {
		if e, ok := fs[name]; ok {
			ops = append(ops, e)
		}
	}
	if len(ops) > 1 {
		d.fail(ops[1].key, ops[1].path, ErrValue, "one operation per jq condition (%s and %s)", ops[0].key.text, ops[1].key.text)
		return m, false
	}
	if len(ops) == 0 {
		return m, true
	}
	op := ops[0]
	switch op.key.text {
	case "eq":
		m, err = predicate.JQEq(expr, jsonValue(op.val))
	case "in":
		if _, ok := d.list(op.val, op.path, "a list of values"); !ok {
			return m, false
		}
		m, err = predicate.JQIn(expr, jsonValue(op.val).([]any)...)
	default:
		m, err = predicate.JQExist(expr)
	}
	return m, d.check(op.val, op.path, err)
}

// status decodes a Status predicate's value and describes it.
func (d *decoder) status(n *node, path string) (predicate.Response, string, bool) {
	key, val, p, ok := map[kind]string{kindInt: "eq", kindString: "class", kindSeq: "in"}[n.kind], n, path, true
	switch {
	case n.kind == kindMap:
		key, val, p, ok = d.single(n, path, "status condition", []string{"eq", "in", "class", "range"})
	case key == "":
		d.wrongType(n, path, "a status code, a list of codes, a class or a mapping (eq, in, class, range)")
		return nil, "", false
	}
	if !ok {
		return nil, "", false
	}
	switch key {
	case "eq":
		c, ok := d.integer(val, p, 100, 999)
		return predicate.Status(int(c)), fmt.Sprintf("eq %d", c), ok
	case "class": // by the names package predicate gives the classes
		names := []string{""}
		for c := predicate.Informational; c <= predicate.ServerError; c++ {
			names = append(names, c.String())
		}
		i, ok := d.enum(val, p, "status class", names)
		return predicate.StatusClass(predicate.Class(i)), "class " + names[i], ok
	}
	items, ok := d.list(val, p, map[string]string{"in": "a list of status codes", "range": "a range [low, high]"}[key])
	if ok && key == "range" && len(items) != 2 {
		d.fail(val, p, ErrValue, "a range has two codes [low, high], got %d", len(items))
		return nil, "", false
	}
	codes := []int{}
	for i, item := range items {
		c, codeOK := d.integer(item, indexPath(p, i), 100, 999)
		codes = append(codes, int(c))
		ok = ok && codeOK
	}
	switch {
	case !ok:
		return nil, "", false
	case key == "in":
		return predicate.StatusIn(codes...), fmt.Sprintf("in %v", codes), true
	case codes[0] > codes[1]:
		d.fail(val, p, ErrValue, "empty range [%d, %d]: low is above high", codes[0], codes[1])
		return nil, "", false
	}
	return predicate.StatusRange(codes[0], codes[1]), fmt.Sprintf("range %d..%d", codes[0], codes[1]), true
}

// jsonValue converts a YAML value into the JSON value jq compares with.
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
