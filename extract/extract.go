package extract

import (
	"errors"
	"net/http"

	"github.com/hitbox-go/hitbox"
)

// Extractor adds named parts to a cache key.
//
// The extractors this package builds (all but [Func]) are also
// [fmt.Stringer]s: String describes one as `hitboxd check` shows it, in
// the configuration language's terms (`Path "/a/{id}"`,
// `Header starts "x-" transforms [lowercase]`, `Body jq ".id"`).
//
// Extract appends its parts for r to parts and returns the extended slice,
// as append does. It must not keep r or parts after it returns, and it must
// leave r usable by the next extractor and by the upstream: a body it reads
// is left replayable. An error means the request cannot be keyed; the caller
// then treats it as uncacheable and forwards it. Implementations in this
// package are safe for concurrent use.
type Extractor interface {
	Extract(r *http.Request, parts []hitbox.KeyPart) ([]hitbox.KeyPart, error)
}

// Func adapts an ordinary function to the [Extractor] interface.
type Func func(r *http.Request, parts []hitbox.KeyPart) ([]hitbox.KeyPart, error)

// Extract calls f(r, parts).
func (f Func) Extract(r *http.Request, parts []hitbox.KeyPart) ([]hitbox.KeyPart, error) {
	return f(r, parts)
}

// Errors wrapped by the errors of extractors. Test them with [errors.Is].
var (
	// ErrPathMismatch: the request path does not match a [Path] pattern.
	ErrPathMismatch = errors.New("extract: path does not match the pattern")
	// ErrBadQuery: a query parameter selected by a [Query] extractor has
	// a malformed percent-encoding.
	ErrBadQuery = errors.New("extract: malformed query parameter")
	// ErrBadBody: the request body is not the JSON a [Body] or [BodyJQ]
	// extractor needs.
	ErrBadBody = errors.New("extract: request body is not JSON")
)

// Key runs the extractors ex in order on r, appending their parts to parts,
// and returns the extended slice. It stops at the first error, which it
// returns with the parts gathered before the failing extractor.
func Key(r *http.Request, ex []Extractor, parts []hitbox.KeyPart) ([]hitbox.KeyPart, error) {
	for _, e := range ex {
		next, err := e.Extract(r, parts)
		if err != nil {
			return parts, err
		}
		parts = next
	}
	return parts, nil
}

// Default returns the extractors used when an endpoint names none: [Method],
// then the path pattern "{path}*", which give the parts "method" and "path"
// (the whole path as sent, without the query).
func Default() []Extractor {
	return []Extractor{Method(), wholePath("path")}
}

// Method returns an extractor adding the part "method" with the request's
// method ("GET" when r.Method is empty, as net/http reads it).
func Method() Extractor { return methodExtractor{} }

type methodExtractor struct{}

func (methodExtractor) String() string { return "Method" }

func (methodExtractor) Extract(r *http.Request, parts []hitbox.KeyPart) ([]hitbox.KeyPart, error) {
	m := r.Method
	if m == "" {
		m = http.MethodGet
	}
	return append(parts, hitbox.Part("method", m)), nil
}

var (
	_ Extractor = Func(nil)
	_ Extractor = methodExtractor{}
)
