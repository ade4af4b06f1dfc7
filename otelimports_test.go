package hitbox_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestLibrariesImportOnlyTheOTelAPI: no package of the module but a
// command (package main) and tests imports OpenTelemetry's SDK, its
// exporters or contrib instrumentation: libraries record spans through
// the API and leave the SDK to the program.
func TestLibrariesImportOnlyTheOTelAPI(t *testing.T) {
	var api, inMain int // imports seen, so that the walk is known to look
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path == "." {
				return nil
			}
			if name := d.Name(); name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // another module (bench)
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if !strings.HasPrefix(p, "go.opentelemetry.io/") {
				continue
			}
			switch {
			case !apiPackage(p) && f.Name.Name == "main":
				inMain++
			case !apiPackage(p):
				t.Errorf("%s (package %s) imports %s: libraries may import only the OpenTelemetry API", path, f.Name.Name, p)
			default:
				api++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if api == 0 || inMain == 0 {
		t.Errorf("saw %d API imports and %d SDK imports in commands; want some of each (the root package's spans, hitboxd's setup)", api, inMain)
	}
}

// apiPackage reports whether p is a package of OpenTelemetry's API
// module (go.opentelemetry.io/otel and its packages but the SDK's and the
// exporters'), or the trace API.
func apiPackage(p string) bool {
	const otel = "go.opentelemetry.io/otel"
	if p != otel && !strings.HasPrefix(p, otel+"/") {
		return false
	}
	for _, not := range []string{"/sdk", "/exporters", "/bridge"} {
		if p == otel+not || strings.HasPrefix(p, otel+not+"/") {
			return false
		}
	}
	return true
}
