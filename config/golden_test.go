package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite the want sections of testdata/*.txtar")

// goldenCase is one testdata/*.txtar archive: the comment says what it
// covers, "hitboxd.yaml" is the input, "want" the expected output.
type goldenCase struct {
	name    string
	path    string
	archive *txtar.Archive
	input   []byte
	want    string
}

func loadGolden(t testing.TB) []goldenCase {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no testdata/*.txtar")
	}
	var cases []goldenCase
	for _, path := range paths {
		a, err := txtar.ParseFile(path)
		if err != nil {
			t.Fatal(err)
		}
		c := goldenCase{name: strings.TrimSuffix(filepath.Base(path), ".txtar"), path: path, archive: a}
		for _, f := range a.Files {
			switch f.Name {
			case "hitboxd.yaml":
				c.input = f.Data
			case "want":
				c.want = string(f.Data)
			default:
				t.Fatalf("%s: unexpected section %q", path, f.Name)
			}
		}
		if c.input == nil {
			t.Fatalf("%s: no hitboxd.yaml section", path)
		}
		cases = append(cases, c)
	}
	return cases
}

// render is what a golden file expects: the dump and the warnings of a
// valid file, or the errors of an invalid one.
func render(t *testing.T, input []byte) (string, *File) {
	t.Helper()
	f, warns, err := Parse("hitboxd.yaml", input)
	if err != nil {
		if f != nil || warns != nil {
			t.Errorf("Parse returned a file or warnings with an error")
		}
		return "error:\n" + err.Error() + "\n", nil
	}
	var b strings.Builder
	if err := f.Dump(&b); err != nil {
		t.Fatal(err)
	}
	if len(warns) > 0 {
		b.WriteString("warnings:\n")
		for _, w := range warns {
			b.WriteString(w.String())
			b.WriteString("\n")
		}
	}
	return b.String(), f
}

func TestGolden(t *testing.T) {
	cases := loadGolden(t)
	if len(cases) < 40 {
		t.Errorf("%d golden cases, want at least 40", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, f := render(t, c.input)
			if *update {
				for i := range c.archive.Files {
					if c.archive.Files[i].Name == "want" {
						c.archive.Files = c.archive.Files[:i]
						break
					}
				}
				c.archive.Files = append(c.archive.Files, txtar.File{Name: "want", Data: []byte(got)})
				if err := os.WriteFile(c.path, txtar.Format(c.archive), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != c.want {
				t.Errorf("Parse(%s):\n--- got\n%s--- want\n%s", c.path, got, c.want)
			}
			if f == nil {
				return
			}
			// A valid file dumps the same when parsed again, and its
			// backend equals itself.
			again, _ := render(t, c.input)
			if again != got {
				t.Errorf("second Parse dumps differently:\n%s", again)
			}
			if !SameBackend(f, f) {
				t.Errorf("SameBackend(f, f) = false")
			}
			checkBuild(t, f)
		})
	}
}
