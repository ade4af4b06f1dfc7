package config

import (
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestSchemaMatchesDecoder checks config/schema.json against the decoder,
// so that the two cannot drift: at every place the golden files reach,
// the field (predicate, operation) names the decoder accepts are exactly
// the schema's property names there, and its enum values exactly the
// schema's.
func TestSchemaMatchesDecoder(t *testing.T) {
	var schema map[string]any
	if err := json.Unmarshal(Schema(), &schema); err != nil {
		t.Fatal(err)
	}
	fields, enums := map[string][]string{}, map[string][]string{}
	add := func(path string, names []string, enum bool) {
		m := fields
		if enum {
			m = enums
		}
		p := normalizePath(path)
		for _, n := range names {
			if strings.HasPrefix(n, "x-") && p == "" {
				continue // extension keys: the schema's patternProperties
			}
			if !slices.Contains(m[p], n) {
				m[p] = append(m[p], n)
			}
		}
	}
	for _, c := range loadGolden(t) {
		root, errs := parseYAML("hitboxd.yaml", c.input)
		if len(errs) > 0 || root == nil {
			continue
		}
		d := &decoder{file: "hitboxd.yaml", record: add}
		d.decodeFile(root)
	}
	for _, want := range []string{"", "admin", "backend", "backend.value", "backend.policy", "backend.timeouts", "backend.breaker",
		"backend.sentinel", "backend.cluster", "backend.invalidation", "endpoints[]", "endpoints[].request[]", "endpoints[].response[]",
		"endpoints[].extractors[]", "endpoints[].tags", "endpoints[].tags.request[]", "endpoints[].policy.Enabled", "rfc9111", "tracing", "timeouts"} {
		if _, ok := fields[want]; !ok {
			t.Errorf("no golden file reaches %q: add one, so that the schema is checked there", want)
		}
	}
	for _, m := range []struct {
		got  map[string][]string
		enum bool
	}{{fields, false}, {enums, true}} {
		for path, names := range m.got {
			nodes := schemaAt(schema, []any{schema}, pathTokens(path))
			var inSchema []string
			for _, n := range nodes {
				inSchema = append(inSchema, schemaNames(schema, n, m.enum)...)
			}
			slices.Sort(inSchema)
			inSchema = slices.Compact(inSchema)
			slices.Sort(names)
			if !slices.Equal(names, inSchema) {
				t.Errorf("%s (enum %v): the decoder accepts %q, the schema %q", path, m.enum, names, inSchema)
			}
		}
	}
}

var indexRE = regexp.MustCompile(`\[[0-9]+\]`)

// normalizePath drops list indexes and the layers of compositions (a
// layer is a backend like the root).
func normalizePath(p string) string {
	p = indexRE.ReplaceAllString(p, "[]")
	for strings.HasPrefix(p, "backend.l1") || strings.HasPrefix(p, "backend.l2") {
		p = "backend" + p[len("backend.l1"):]
	}
	return p
}

// pathTokens splits a YAML path into keys, with "[]" for list items.
func pathTokens(p string) []string {
	var out []string
	for p != "" {
		switch {
		case strings.HasPrefix(p, "[]"):
			out, p = append(out, "[]"), p[2:]
		case strings.HasPrefix(p, `["`):
			q, err := strconv.QuotedPrefix(p[1:])
			if err != nil {
				return append(out, p)
			}
			k, _ := strconv.Unquote(q)
			out, p = append(out, k), p[1+len(q)+1:]
		case p[0] == '.':
			p = p[1:]
		default:
			end := strings.IndexAny(p, ".[")
			if end < 0 {
				end = len(p)
			}
			out, p = append(out, p[:end]), p[end:]
		}
	}
	return out
}

// expand returns n and every schema it stands for: its $ref, its anyOf,
// oneOf and allOf members and their then and else branches.
func expand(root map[string]any, n any) []map[string]any {
	m, ok := n.(map[string]any)
	if !ok {
		return nil
	}
	out := []map[string]any{m}
	if ref, ok := m["$ref"].(string); ok {
		target := any(root)
		for _, tok := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			target = target.(map[string]any)[tok]
		}
		out = append(out, expand(root, target)...)
	}
	for _, k := range []string{"anyOf", "oneOf", "allOf"} {
		list, _ := m[k].([]any)
		for _, sub := range list {
			out = append(out, expand(root, sub)...)
		}
	}
	for _, k := range []string{"then", "else"} {
		if sub, ok := m[k]; ok {
			out = append(out, expand(root, sub)...)
		}
	}
	return out
}

// schemaAt returns the schemas that apply at a path below nodes.
func schemaAt(root map[string]any, nodes []any, tokens []string) []any {
	if len(tokens) == 0 {
		return nodes
	}
	var next []any
	for _, n := range nodes {
		for _, m := range expand(root, n) {
			if tokens[0] == "[]" {
				if items, ok := m["items"]; ok {
					next = append(next, items)
				}
				continue
			}
			if props, ok := m["properties"].(map[string]any); ok {
				if sub, ok := props[tokens[0]]; ok {
					next = append(next, sub)
					continue
				}
			}
			matched := false
			pats, _ := m["patternProperties"].(map[string]any)
			for pat, sub := range pats {
				if regexp.MustCompile(pat).MatchString(tokens[0]) {
					next, matched = append(next, sub), true
				}
			}
			if add, ok := m["additionalProperties"].(map[string]any); ok && !matched {
				next = append(next, add)
			}
		}
	}
	return schemaAt(root, next, tokens[1:])
}

// schemaNames returns the property names (or the enum and const values)
// of a schema and of what it stands for.
func schemaNames(root map[string]any, n any, enum bool) []string {
	var out []string
	for _, m := range expand(root, n) {
		if !enum {
			props, _ := m["properties"].(map[string]any)
			for k := range props {
				out = append(out, k)
			}
			continue
		}
		values, _ := m["enum"].([]any)
		if c, ok := m["const"]; ok {
			values = append(values, c)
		}
		for _, v := range values {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}
