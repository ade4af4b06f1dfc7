package config

import (
	"bytes"
	_ "embed"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

//go:embed schema.json
var schemaJSON []byte

// Schema returns the JSON Schema (draft 2020-12) of hitboxd's file, as
// embedded from config/schema.json. Parse validates every file against it
// (besides the checks a schema cannot express: regex and jq compilation,
// path patterns, method tokens, sizes, durations).
//
// Editors that speak the YAML language server protocol use it when the
// file's first line names it:
//
//	# yaml-language-server: $schema=https://raw.githubusercontent.com/hitbox-go/hitbox/main/config/schema.json
//
// (or a relative path to a local copy). For the operation tags (`!in`,
// `!regex`, ...) set the editor's yaml.customTags to
// ["!eq scalar", "!in sequence", "!contains scalar", "!regex scalar",
// "!exist scalar", "!exists scalar"].
func Schema() []byte { return bytes.Clone(schemaJSON) }

// compiledSchema compiles the embedded schema once; it never changes.
var compiledSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("schema.json")
})

// located is where a JSON pointer of the validated document came from.
type located struct {
	n    *node
	path string
}

// toJSON converts the node tree into the value the schema validates,
// recording where each JSON pointer came from. Tagged values become the
// operation mapping they stand for (`!in [a]` is {"in": ["a"]}).
func toJSON(n *node, ptr, path string, at map[string]located) any {
	at[ptr] = located{n: n, path: path}
	if n.tag != "" {
		untagged := *n
		untagged.tag = ""
		op := strings.TrimPrefix(n.tag, "!")
		return map[string]any{op: toJSON(&untagged, ptr+"/"+escapePointer(op), path, at)}
	}
	switch n.kind {
	case kindString:
		return n.text
	case kindInt:
		if n.intOK {
			return n.i
		}
		f, _ := strconv.ParseFloat(strings.ReplaceAll(n.text, "_", ""), 64)
		if math.IsInf(f, 0) || math.IsNaN(f) || f == 0 {
			return n.text
		}
		return f
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
			out[i] = toJSON(item, ptr+"/"+strconv.Itoa(i), indexPath(path, i), at)
		}
		return out
	case kindMap:
		out := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			out[k.text] = toJSON(n.vals[i], ptr+"/"+escapePointer(k.text), joinPath(path, k.text), at)
		}
		return out
	}
	return nil
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// schemaErrors validates the document against the schema and returns the
// violations at places where the other checks (found) reported nothing:
// the schema is a safety net behind the precise messages of the decoder.
func schemaErrors(file string, root *node, found Errors) Errors {
	sch, err := compiledSchema()
	if err != nil {
		return Errors{{File: file, Line: 1, Col: 1, Err: newDetail(ErrSchema, "invalid embedded schema: %w", err)}}
	}
	at := map[string]located{}
	doc := toJSON(root, "", "", at)
	err = sch.Validate(doc)
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok || ve == nil {
		return nil
	}
	var leaves []*jsonschema.ValidationError
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			leaves = append(leaves, e)
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	deepest := 0
	for _, l := range leaves {
		deepest = max(deepest, len(l.InstanceLocation))
	}
	p := message.NewPrinter(language.English)
	var ptrs []string
	msgs := map[string][]string{}
	for _, l := range leaves {
		if len(l.InstanceLocation) != deepest {
			continue
		}
		ptr := ""
		for _, tok := range l.InstanceLocation {
			ptr += "/" + escapePointer(tok)
		}
		if _, seen := msgs[ptr]; !seen {
			ptrs = append(ptrs, ptr)
		}
		if m := l.ErrorKind.LocalizedString(p); !slices.Contains(msgs[ptr], m) {
			msgs[ptr] = append(msgs[ptr], m)
		}
	}
	var out Errors
	for _, ptr := range ptrs {
		loc, ok := at[ptr]
		if !ok {
			loc = located{n: root}
		}
		if overlaps(loc.path, found) {
			continue
		}
		out = append(out, &Error{File: file, Line: max(loc.n.line, 1), Col: max(loc.n.col, 1), Path: loc.path,
			Err: newDetail(ErrSchema, "schema: %s", strings.Join(msgs[ptr], "; or "))})
	}
	return out
}

// overlaps reports whether an error was found at path, inside it or
// around it.
func overlaps(path string, found Errors) bool {
	return slices.ContainsFunc(found, func(e *Error) bool {
		return within(e.Path, path) || within(path, e.Path)
	})
}

// within reports whether path is inside (or equal to) outer.
func within(path, outer string) bool {
	if outer == "" || path == outer {
		return true
	}
	return strings.HasPrefix(path, outer) && (path[len(outer)] == '.' || path[len(outer)] == '[')
}
