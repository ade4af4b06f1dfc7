package extract

import (
	"cmp"
	"maps"
	"slices"

	"github.com/itchyny/gojq"
)

// fieldOrder orders the fields of the objects a jq expression yields the
// way the expression builds them. gojq returns Go maps, which have no
// order, so the order comes from the parsed expression: every object
// construction ({user_id: .u, role: .r}) is a shape listing its literal
// keys in the order written.
type fieldOrder struct {
	// shapes are the key lists of the object constructions whose keys
	// are all literal, in the order the expression writes them.
	shapes [][]string
	// rank is each literal key's position of first appearance in the
	// expression, object constructions with computed keys included.
	rank map[string]int
}

// newFieldOrder walks the object constructions of q.
func newFieldOrder(q *gojq.Query) *fieldOrder {
	o := &fieldOrder{rank: make(map[string]int)}
	o.query(q)
	return o
}

// keys returns the keys of m in the expression's order: the order of the
// first object construction with exactly these literal keys; failing one,
// literal keys by first appearance, then the other keys (computed, or from
// the input) sorted.
func (o *fieldOrder) keys(m map[string]any) []string {
	for _, s := range o.shapes {
		if len(s) == len(m) && allIn(s, m) {
			return s
		}
	}
	ks := slices.Collect(maps.Keys(m))
	slices.SortFunc(ks, func(a, b string) int {
		ra, oka := o.rank[a]
		rb, okb := o.rank[b]
		switch {
		case oka && okb:
			return cmp.Compare(ra, rb)
		case oka:
			return -1
		case okb:
			return 1
		}
		return cmp.Compare(a, b)
	})
	return ks
}

func allIn(keys []string, m map[string]any) bool {
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			return false
		}
	}
	return true
}

func (o *fieldOrder) object(e *gojq.Object) {
	var shape []string
	literal := true
	for _, kv := range e.KeyVals {
		var key string
		switch {
		case kv.Key != "":
			key = kv.Key
			if key[0] == '$' { // {$x} is {x: $x}; {$__loc__} too
				key = key[1:]
			}
		case kv.KeyString != nil && kv.KeyString.Queries == nil:
			key = kv.KeyString.Str
		default:
			literal = false
			continue
		}
		if _, ok := o.rank[key]; !ok {
			o.rank[key] = len(o.rank)
		}
		if !slices.Contains(shape, key) {
			shape = append(shape, key)
		}
	}
	if literal {
		o.shapes = append(o.shapes, shape)
	}
	for _, kv := range e.KeyVals {
		o.str(kv.KeyString)
		o.query(kv.KeyQuery, kv.Val)
	}
}

// query walks each of qs (nil ones are skipped).
func (o *fieldOrder) query(qs ...*gojq.Query) {
	for _, q := range qs {
		if q == nil {
			continue
		}
		for _, fd := range q.FuncDefs {
			o.query(fd.Body)
		}
		o.term(q.Term)
		o.query(q.Left, q.Right)
	}
}

func (o *fieldOrder) str(s *gojq.String) {
	if s != nil {
		o.query(s.Queries...)
	}
}

func (o *fieldOrder) index(x *gojq.Index) {
	if x != nil {
		o.str(x.Str)
		o.query(x.Start, x.End)
	}
}

func (o *fieldOrder) term(t *gojq.Term) {
	if t == nil {
		return
	}
	o.index(t.Index)
	if t.Func != nil {
		o.query(t.Func.Args...)
	}
	if t.Object != nil {
		o.object(t.Object)
	}
	if t.Array != nil {
		o.query(t.Array.Query)
	}
	if t.Unary != nil {
		o.term(t.Unary.Term)
	}
	o.str(t.Str)
	if t.If != nil {
		o.query(t.If.Cond, t.If.Then)
		for _, e := range t.If.Elif {
			o.query(e.Cond, e.Then)
		}
		o.query(t.If.Else)
	}
	if t.Try != nil {
		o.query(t.Try.Body, t.Try.Catch)
	}
	if t.Reduce != nil {
		o.query(t.Reduce.Query, t.Reduce.Start, t.Reduce.Update)
	}
	if t.Foreach != nil {
		o.query(t.Foreach.Query, t.Foreach.Start, t.Foreach.Update, t.Foreach.Extract)
	}
	if t.Label != nil {
		o.query(t.Label.Body)
	}
	o.query(t.Query)
	for _, s := range t.SuffixList {
		o.index(s.Index)
	}
}
