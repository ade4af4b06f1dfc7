package extract

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/internal/httpread"
	"github.com/hitbox-go/hitbox/predicate"
)

// Path returns an extractor adding one part per {name} of the path
// pattern, named name, in the order of the pattern, whose value is what
// the name captured of the path as sent ([url.URL.EscapedPath]: the
// escaped path, so "robert%20sheckley" stays encoded). Patterns are those
// of [predicate.Path]: {name} matches one segment, {name:regex} one
// segment the regex accepts, {name}* the rest of the path with its
// slashes, * the rest without capture. A pattern without {name} adds no
// part; "{path}*" captures the whole path, without the query.
//
// A path that does not match the pattern is an error wrapping
// [ErrPathMismatch]: the request is then forwarded uncached rather than
// keyed without its path. Path returns an error for a bad pattern.
//
// A pattern that does not start with '/' (hitbox files hold some, such as
// "v1/authors/robert-sheckley/books/victim-prime") is accepted as hitbox
// accepts it: it matches no request path, so it adds no part, and it is
// no error either. Its syntax is checked as if it started with '/'.
func Path(pattern string) (Extractor, error) {
	if pattern != "" && !strings.ContainsRune("/*{", rune(pattern[0])) {
		if _, err := predicate.Path("/" + pattern); err != nil {
			return nil, fmt.Errorf("extract: %w", err)
		}
		return noPath(pattern), nil
	}
	p, err := predicate.Path(pattern)
	if err != nil {
		return nil, fmt.Errorf("extract: %w", err)
	}
	if names := p.Names(); len(names) == 1 && pattern == "{"+names[0]+"}*" {
		return wholePath(names[0]), nil
	}
	return &pathExtractor{p: p}, nil
}

type pathExtractor struct {
	p *predicate.PathPattern
}

func (e *pathExtractor) Extract(r *http.Request, parts []hitbox.KeyPart) ([]hitbox.KeyPart, error) {
	path := httpread.Path(r)
	caps, ok := e.p.Captures(path)
	if !ok {
		return parts, fmt.Errorf("%w %q: %q", ErrPathMismatch, e.p.String(), path)
	}
	for _, c := range caps {
		parts = append(parts, hitbox.Part(c.Name, c.Value))
	}
	return parts, nil
}

// wholePath is the extractor of the pattern "{name}*": the whole path.
type wholePath string

func (name wholePath) Extract(r *http.Request, parts []hitbox.KeyPart) ([]hitbox.KeyPart, error) {
	return append(parts, hitbox.Part(string(name), httpread.Path(r))), nil
}

func (e *pathExtractor) String() string { return fmt.Sprintf("Path %q", e.p.String()) }

func (name wholePath) String() string { return fmt.Sprintf("Path %q", "{"+string(name)+"}*") }

// noPath is the extractor of a pattern without a leading '/' (the
// pattern): no part.
type noPath string

func (p noPath) String() string { return fmt.Sprintf("Path %q", string(p)) }

func (noPath) Extract(_ *http.Request, parts []hitbox.KeyPart) ([]hitbox.KeyPart, error) {
	return parts, nil
}

var (
	_ Extractor = noPath("")
	_ Extractor = (*pathExtractor)(nil)
	_ Extractor = wholePath("")
)
