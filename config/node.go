package config

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Limits that keep a hostile file cheap: goccy's parser recurses on
// nesting, and aliases can make a small file expand into a huge tree.
const (
	maxFileSize = 4 << 20
	maxNesting  = 200
	maxNodes    = 1 << 20
)

// kind is the type of a YAML value, after tags are resolved.
type kind uint8

const (
	kindNull kind = iota + 1
	// The scalars, kindString to kindBool (see scalarText).
	kindString
	kindInt
	kindFloat
	kindBool
	kindMap
	kindSeq
)

func (k kind) String() string {
	return [...]string{"an unknown value", "null", "a string", "an integer", "a number", "a boolean", "a mapping", "a list"}[k]
}

// node is a YAML value with its position, aliases and merge keys resolved.
// Nodes reached through an alias are shared; size counts the nodes of the
// expansion.
type node struct {
	kind      kind
	text      string // a string, or a scalar as written ("0x1F", "true")
	i         int64  // an integer, when it fits (intOK)
	intOK     bool
	f         float64
	b         bool
	tag       string // a local tag ("!in", "!regex", ...) or ""
	line, col int
	keys      []*node // kindMap: keys (strings), in order
	vals      []*node // kindMap: values
	items     []*node // kindSeq
	size      int
}

// get returns the value of key k in a mapping, or nil.
func (n *node) get(k string) *node {
	if i := slices.IndexFunc(n.keys, func(key *node) bool { return key.text == k }); i >= 0 {
		return n.vals[i]
	}
	return nil
}

// scalarText returns a scalar's text and whether n is a scalar.
func (n *node) scalarText() (string, bool) {
	if kindString <= n.kind && n.kind <= kindBool {
		return n.text, true
	}
	return "", false
}

// parseYAML parses data into a node tree. A nil tree with no error is an
// empty document.
func parseYAML(file string, data []byte) (root *node, errs Errors) {
	c := converter{decoder: decoder{file: file}, anchors: map[string]*node{}}
	if len(data) > maxFileSize {
		c.failAt(Loc{}, ErrSyntax, "file is larger than %d bytes", maxFileSize)
		return nil, c.errs
	}
	if line, col, ok := tooDeep(data); !ok {
		c.failAt(Loc{Line: line, Col: col}, ErrSyntax, "nesting deeper than %d levels", maxNesting)
		return nil, c.errs
	}
	var f *ast.File
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("YAML parser failed: %v", r)
			}
		}()
		f, err = parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
	}()
	if err != nil {
		var at Loc
		msg := err.Error()
		var se *yaml.SyntaxError
		if errors.As(err, &se) {
			msg = se.Message
			if se.Token != nil && se.Token.Position != nil {
				at = Loc{Line: se.Token.Position.Line, Col: se.Token.Position.Column}
			}
		}
		c.failAt(at, ErrSyntax, "%s", msg)
		return nil, c.errs
	}
	docs := slices.DeleteFunc(f.Docs, func(d *ast.DocumentNode) bool { return d == nil || d.Body == nil })
	if len(docs) == 0 {
		return nil, nil
	}
	if len(docs) > 1 {
		c.fail(nodeAt(docs[1].Body), "", ErrSyntax, "more than one YAML document: a configuration file holds one")
	}
	root = c.convert(docs[0].Body, "")
	if len(c.errs) > 0 {
		return nil, c.errs
	}
	return root, nil
}

// tooDeep reports where flow collections nest deeper than maxNesting,
// before the recursive parser runs.
func tooDeep(data []byte) (line, col int, ok bool) {
	depth, line, col := 0, 1, 0
	for _, c := range data {
		col++
		switch c {
		case '\n':
			line, col = line+1, 0
		case '[', '{':
			if depth++; depth > maxNesting {
				return line, col, false
			}
		case ']', '}':
			if depth > 0 {
				depth--
			}
		}
	}
	return 0, 0, true
}

// converter turns goccy's AST into nodes, resolving anchors as it meets
// them.
type converter struct {
	decoder
	anchors map[string]*node
}

// nodeAt returns an empty node at the position of n: that of its first key
// for a mapping, of its value for an explicit key (? key).
func nodeAt(n ast.Node) *node {
	if m, ok := n.(*ast.MappingNode); ok && len(m.Values) > 0 && m.Values[0].Key != nil {
		return nodeAt(m.Values[0].Key)
	}
	if k, ok := n.(*ast.MappingKeyNode); ok && k.Value != nil {
		return nodeAt(k.Value)
	}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return &node{line: tk.Position.Line, col: tk.Position.Column, size: 1}
	}
	return &node{line: 1, col: 1, size: 1}
}

// convert turns an AST node at path into a node.
func (c *converter) convert(n ast.Node, path string) *node {
	if n == nil {
		return &node{kind: kindNull, line: 1, col: 1, size: 1}
	}
	out := nodeAt(n)
	switch v := n.(type) {
	case *ast.NullNode:
		out.kind = kindNull
	case *ast.BoolNode:
		out.kind, out.b, out.text = kindBool, v.Value, v.Token.Value
	case *ast.IntegerNode:
		out.kind, out.text = kindInt, v.Token.Value
		switch i := v.Value.(type) {
		case int64:
			out.i, out.intOK = i, true
		case uint64:
			if i <= math.MaxInt64 {
				out.i, out.intOK = int64(i), true
			}
		}
	case *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		out.kind, out.text = kindFloat, n.GetToken().Value
		out.f, _ = n.(ast.ScalarNode).GetValue().(float64)
	case *ast.StringNode:
		out.kind, out.text = kindString, v.Value
	case *ast.LiteralNode:
		out.kind = kindString
		if v.Value != nil {
			out.text = v.Value.Value
		}
	case *ast.MergeKeyNode:
		out.kind, out.text = kindString, "<<"
	case *ast.MappingNode:
		return c.mapping(v, path, out)
	case *ast.SequenceNode:
		out.kind = kindSeq
		for i, item := range v.Values {
			child := c.convert(item, indexPath(path, i))
			out.items = append(out.items, child)
			out.size = addSize(out.size, child.size)
		}
	case *ast.AnchorNode:
		value := c.convert(v.Value, path)
		if v.Name != nil {
			c.anchors[v.Name.GetToken().Value] = value
		}
		return value
	case *ast.AliasNode:
		name := ""
		if v.Value != nil && v.Value.GetToken() != nil {
			name = v.Value.GetToken().Value
		}
		if target, ok := c.anchors[name]; ok {
			return target
		}
		c.fail(out, path, ErrSyntax, "alias *%s names no anchor defined before it", name)
		out.kind = kindNull
	case *ast.TagNode:
		return c.tagged(v, path, out)
	case *ast.MappingKeyNode:
		return c.convert(v.Value, path)
	default:
		c.fail(out, path, ErrSyntax, "unsupported YAML construct %s", n.Type())
		out.kind = kindNull
	}
	return out
}

// tagged converts a tagged value; at is where the tag is.
func (c *converter) tagged(v *ast.TagNode, path string, at *node) *node {
	tag := ""
	if v.Start != nil {
		tag = v.Start.Value
	}
	inner := c.convert(v.Value, path)
	switch {
	case tag == "!!str" || tag == "!":
		if text, ok := inner.scalarText(); ok {
			cp := *inner
			cp.kind, cp.text = kindString, text
			return &cp
		}
		if inner.kind == kindNull {
			return &node{kind: kindString, line: inner.line, col: inner.col, size: 1}
		}
		c.fail(at, path, ErrType, "tag %s on %s: want a scalar", tag, inner.kind)
		return inner
	case strings.HasPrefix(tag, "!!"):
		// Standard YAML tags (!!int, !!map, ...): the parser already
		// read the value as such.
		return inner
	case strings.HasPrefix(tag, "!") && len(tag) > 1 && !strings.ContainsAny(tag[1:], "!<>"):
		cp := *inner
		cp.tag = tag
		cp.line, cp.col = at.line, at.col
		return &cp
	}
	c.fail(at, path, ErrSyntax, "unsupported tag %q", tag)
	return inner
}

func (c *converter) mapping(m *ast.MappingNode, path string, out *node) *node {
	out.kind = kindMap
	explicit := map[string]*node{}
	add := func(k, v *node) {
		explicit[k.text] = k
		out.keys, out.vals = append(out.keys, k), append(out.vals, v)
		out.size = addSize(out.size, v.size+1)
	}
	var merges []*node
	for _, mv := range m.Values {
		if mv == nil || mv.Key == nil {
			continue
		}
		key := c.convert(mv.Key, path)
		if _, isMerge := mv.Key.(*ast.MergeKeyNode); isMerge {
			merges = append(merges, c.mergeSources(mv.Value, path, key)...)
			continue
		}
		text, ok := key.scalarText()
		if !ok {
			c.fail(key, path, ErrType, "a mapping key must be a string, not %s", key.kind)
			continue
		}
		childPath := joinPath(path, text)
		if prev, dup := explicit[text]; dup {
			c.fail(key, childPath, ErrSyntax, "duplicate key %q (first at %d:%d)", text, prev.line, prev.col)
			continue
		}
		k := &node{kind: kindString, text: text, line: key.line, col: key.col, size: 1}
		val := c.convert(mv.Value, childPath)
		if _, isNull := mv.Value.(*ast.NullNode); isNull && val.line < k.line {
			val.line, val.col = k.line, k.col
		}
		add(k, val)
	}
	// Merged keys come after the explicit ones and never override them;
	// among several sources the first wins, as YAML says.
	for _, src := range merges {
		for i, k := range src.keys {
			if explicit[k.text] == nil {
				add(k, src.vals[i])
			}
		}
	}
	if out.size >= maxNodes {
		c.fail(out, path, ErrSyntax, "document expands to more than %d values (through aliases)", maxNodes)
		out.keys, out.vals = nil, nil
	}
	return out
}

// mergeSources returns the mappings a merge key (<<) takes its keys from.
func (c *converter) mergeSources(v ast.Node, path string, key *node) []*node {
	src := c.convert(v, path)
	switch src.kind {
	case kindMap:
		return []*node{src}
	case kindSeq:
		var out []*node
		for _, item := range src.items {
			if item.kind != kindMap {
				c.fail(key, path, ErrType, "merge key << takes mappings, not %s", item.kind)
				continue
			}
			out = append(out, item)
		}
		return out
	}
	c.fail(key, path, ErrType, "merge key << takes a mapping or a list of mappings, not %s", src.kind)
	return nil
}

// addSize adds node counts, saturating at maxNodes (every size is at
// most maxNodes, so the sum cannot overflow).
func addSize(a, b int) int { return min(a+b, maxNodes) }

// plainKey holds the characters of a key joinPath writes as ".key".
const plainKey = "-_/$@abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// joinPath appends a mapping key to a YAML path: a plain key as ".key",
// one with other characters as `["key"]`.
func joinPath(path, key string) string {
	switch {
	case key == "" || strings.Trim(key, plainKey) != "":
		return path + "[" + strconv.Quote(key) + "]"
	case path == "":
		return key
	}
	return path + "." + key
}

// indexPath appends a list index to a YAML path.
func indexPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }
