package config

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// FuzzLoad asserts that Parse never panics and returns either errors that
// each carry a position, a message and a kind, or a file that dumps,
// parses again to the same dump, and builds (but for trees with
// invalidation, which would connect to Redis: the other backends build
// without contacting anything).
func FuzzLoad(f *testing.F) {
	for _, c := range loadGolden(f) {
		f.Add(c.input)
	}
	f.Add([]byte("upstream: http://h\nendpoints: [{request: &a [{Not: *a}]}]"))
	f.Add([]byte("a: &a [*a, *a]\n"))
	f.Add([]byte("\ufeffupstream: http://h\r\nlisten: ':1'\r\n"))
	kinds := []error{ErrSyntax, ErrUnknownField, ErrType, ErrMissing, ErrValue}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, warns, err := Parse("fuzz.yaml", data)
		if err != nil {
			if file != nil || warns != nil {
				t.Fatal("Parse returned a file or warnings with an error")
			}
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error %T %v is not a non-empty Errors", err, err)
			}
			for _, e := range es {
				if e.Line < 1 || e.Col < 1 || e.File != "fuzz.yaml" || e.Err == nil || e.Err.Error() == "" {
					t.Fatalf("malformed error %#v", e)
				}
				if !slices.ContainsFunc(kinds, func(k error) bool { return errors.Is(e, k) }) {
					t.Fatalf("error %q wraps no kind", e)
				}
			}
			return
		}
		var dump strings.Builder
		if err := file.Dump(&dump); err != nil {
			t.Fatal(err)
		}
		again, _, err := Parse("fuzz.yaml", data)
		if err != nil {
			t.Fatalf("second Parse failed: %v", err)
		}
		var dump2 strings.Builder
		_ = again.Dump(&dump2)
		if dump.String() != dump2.String() {
			t.Fatalf("Parse is not deterministic:\n%s\n---\n%s", dump.String(), dump2.String())
		}
		if !SameBackend(file, again) {
			t.Fatal("SameBackend of two parses of one file is false")
		}
		if _, err := file.BuildEndpoints(); err != nil {
			t.Fatalf("valid file, BuildEndpoints: %v", err)
		}
		if subscribes(file.Backend) {
			return // an invalidator connects to the file's Redis at once
		}
		store, err := file.BuildStore(BuildOptions{Check: true})
		if err != nil {
			t.Fatalf("valid file, BuildStore: %v", err)
		}
		if err := store.Close(context.Background()); err != nil {
			t.Fatalf("Store.Close: %v", err)
		}
	})
}
