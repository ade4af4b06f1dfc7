package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// compiledSchema compiles the embedded schema once.
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

// toJSON converts the node tree into the value the schema validates:
// jsonValue's, but tagged values become the operation mapping they stand
// for (`!in [a]` is {"in": ["a"]}).
func toJSON(n *node) any {
	if n.tag != "" {
		untagged := *n
		untagged.tag = ""
		return map[string]any{strings.TrimPrefix(n.tag, "!"): toJSON(&untagged)}
	}
	switch n.kind {
	case kindSeq:
		out := make([]any, len(n.items))
		for i, item := range n.items {
			out[i] = toJSON(item)
		}
		return out
	case kindMap:
		out := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			out[k.text] = toJSON(n.vals[i])
		}
		return out
	}
	return jsonValue(n)
}

// validateSchema runs the schema alone on a file.
func validateSchema(t *testing.T, input []byte) error {
	t.Helper()
	root, errs := parseYAML("hitboxd.yaml", input)
	if len(errs) > 0 {
		return errs
	}
	if root == nil {
		root = &node{kind: kindNull, line: 1, col: 1}
	}
	sch, err := compiledSchema()
	if err != nil {
		t.Fatal(err)
	}
	return sch.Validate(toJSON(root))
}

func TestSchemaIsValidJSON(t *testing.T) {
	var v map[string]any
	if err := json.Unmarshal(Schema(), &v); err != nil {
		t.Fatal(err)
	}
	if v["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v", v["$schema"])
	}
	if _, err := compiledSchema(); err != nil {
		t.Fatalf("compile: %v", err)
	}
}

// TestSchemaAgrees checks that the schema accepts every valid golden file
// (so that editors do not flag good files), and rejects every file whose
// errors are about the shape of the document (unknown fields, wrong types,
// missing fields), which a schema can express.
func TestSchemaAgrees(t *testing.T) {
	for _, c := range loadGolden(t) {
		t.Run(c.name, func(t *testing.T) {
			_, _, parseErr := Parse("hitboxd.yaml", c.input)
			schemaErr := validateSchema(t, c.input)
			if parseErr == nil {
				if schemaErr != nil {
					t.Errorf("valid file, but the schema rejects it: %v", schemaErr)
				}
				return
			}
			var es Errors
			if !errors.As(parseErr, &es) {
				t.Fatalf("error %T is not Errors", parseErr)
			}
			for _, e := range es {
				if errors.Is(e, ErrSyntax) {
					return
				}
			}
			structural := false
			for _, e := range es {
				if errors.Is(e, ErrUnknownField) || errors.Is(e, ErrType) || errors.Is(e, ErrMissing) {
					structural = true
				}
			}
			if structural && schemaErr == nil {
				t.Errorf("the schema accepts a file with structural errors:\n%v", parseErr)
			}
		})
	}
}
