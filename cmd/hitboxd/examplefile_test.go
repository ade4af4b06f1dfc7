package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/config"
	"github.com/hitbox-go/hitbox/httpcache"
)

// exampleFile is the example configuration shipped with the repository.
var exampleFile = filepath.Join("..", "..", "examples", "hitboxd.yaml")

// TestExampleFile: examples/hitboxd.yaml passes check without warnings,
// and so does each backend section its comments show ("#   backend:"
// blocks) put in place of its own.
func TestExampleFile(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	f, warns, err := config.Parse(exampleFile, data)
	if err != nil {
		t.Fatalf("%s: %v", exampleFile, err)
	}
	if len(warns) > 0 || len(f.Endpoints) == 0 {
		t.Errorf("%s: %d endpoints, warnings: %v", exampleFile, len(f.Endpoints), warns)
	}

	lines := strings.Split(string(data), "\n")
	start, end := -1, len(lines)
	for i, l := range lines {
		if l == "backend:" {
			start = i
		} else if start >= 0 && i > start && l != "" && !strings.HasPrefix(l, " ") && !strings.HasPrefix(l, "#") {
			end = i
			break
		}
	}
	if start < 0 {
		t.Fatalf("%s has no backend section", exampleFile)
	}
	blocks := commentedBackends(lines)
	types := map[string]bool{}
	for _, b := range blocks {
		file := strings.Join(append(append(append([]string{}, lines[:start]...), b...), lines[end:]...), "\n")
		f, warns, err := config.Parse(exampleFile, []byte(file))
		if err != nil {
			t.Errorf("the commented backend\n%s\ndoes not check: %v", strings.Join(b, "\n"), err)
			continue
		}
		if len(warns) > 0 {
			t.Errorf("the commented backend\n%s\nwarns: %v", strings.Join(b, "\n"), warns)
		}
		types[f.Backend.Type.String()] = true
	}
	if !types["Redis"] || !types["Composition"] {
		t.Errorf("the comments show the backends %v, want a Redis and a Composition example", types)
	}
}

// commentedBackends returns the backend sections written in comments:
// each "#   backend:" line and the "#     ..." lines after it, uncommented.
func commentedBackends(lines []string) [][]string {
	var out [][]string
	for i := 0; i < len(lines); i++ {
		if lines[i] != "#   backend:" {
			continue
		}
		b := []string{"backend:"}
		for i++; i < len(lines) && strings.HasPrefix(lines[i], "#     "); i++ {
			b = append(b, strings.TrimPrefix(lines[i], "#   "))
		}
		out = append(out, b)
	}
	return out
}

// TestConformanceFile: examples/rfc9111-conformance.yaml, the file issue
// #12's conformance suite runs against, passes check (exit 0): Rfc9111 at
// file level, one endpoint whose predicates allow everything, a ttl of a
// year.
func TestConformanceFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join("..", "..", "examples", "rfc9111-conformance.yaml")
	f, _, err := config.Load(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if f.Semantics != httpcache.SemanticsRfc9111 || len(f.Endpoints) != 1 {
		t.Fatalf("%s: semantics %v, %d endpoints; want Rfc9111 and one", path, f.Semantics, len(f.Endpoints))
	}
	ep := f.Endpoints[0]
	var dump strings.Builder
	if err := f.Dump(&dump); err != nil {
		t.Fatal(err)
	}
	noConditions := strings.Contains(dump.String(), "  request: any (no condition)\n  response: any (no condition)\n")
	if ep.Semantics != httpcache.SemanticsRfc9111 || !noConditions || ep.Policy.Disabled || ep.Policy.TTL != 31536000*time.Second {
		t.Errorf("endpoint: semantics %v, policy %+v, dump:\n%s\nwant Rfc9111, no conditions, ttl 31536000s", ep.Semantics, ep.Policy, dump.String())
	}
	if code, stdout, stderr := runCmd(t, "check", "-config", path); code != 0 || !strings.Contains(stdout, "semantics Rfc9111") {
		t.Errorf("check: exit %d, stdout %q, stderr %q; want 0 and the endpoint's mode", code, stdout, stderr)
	}
}
