package extract

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// TransformKind names a [Transform].
type TransformKind int

// The transforms of config.md.
const (
	// TransformLowercase maps the value to lower case (Unicode).
	TransformLowercase TransformKind = iota + 1
	// TransformUppercase maps the value to upper case (Unicode).
	TransformUppercase
	// TransformHash replaces the value by its SHA-256 as 64 lowercase hex
	// characters.
	TransformHash
	// TransformTruncate keeps the first N characters (runes; a byte that
	// is not valid UTF-8 counts as one) of the value.
	TransformTruncate
)

// String returns the name config files use ("lowercase", "uppercase",
// "hash", "truncate") or "TransformKind(N)".
func (k TransformKind) String() string {
	switch k {
	case TransformLowercase:
		return "lowercase"
	case TransformUppercase:
		return "uppercase"
	case TransformHash:
		return "hash"
	case TransformTruncate:
		return "truncate"
	}
	return "TransformKind(" + strconv.Itoa(int(k)) + ")"
}

// ParseTransformKind reads a transform name as config files write it,
// case-insensitively ("lowercase", "Hash", "TRUNCATE", ...).
func ParseTransformKind(s string) (TransformKind, error) {
	for k := TransformLowercase; k <= TransformTruncate; k++ {
		if strings.EqualFold(s, k.String()) {
			return k, nil
		}
	}
	return 0, fmt.Errorf("extract: unknown transform %q (want lowercase, uppercase, hash or truncate)", s)
}

// Transform is one step applied to a part's value.
type Transform struct {
	// Kind says what the step does.
	Kind TransformKind
	// N is the length kept by TransformTruncate; it must not be negative.
	// Other kinds ignore it.
	N int
}

// String returns the transform as config files write it: its name, or
// "truncate N".
func (t Transform) String() string {
	if t.Kind == TransformTruncate {
		return "truncate " + strconv.Itoa(t.N)
	}
	return t.Kind.String()
}

func (t Transform) validate() error {
	switch t.Kind {
	case TransformLowercase, TransformUppercase, TransformHash:
		return nil
	case TransformTruncate:
		if t.N < 0 {
			return fmt.Errorf("extract: truncate length %d is negative", t.N)
		}
		return nil
	}
	return fmt.Errorf("extract: invalid transform kind %d", int(t.Kind))
}

// apply applies t to s. t must be valid.
func (t Transform) apply(s string) string {
	switch t.Kind {
	case TransformLowercase:
		return strings.ToLower(s)
	case TransformUppercase:
		return strings.ToUpper(s)
	case TransformHash:
		return hashHex(s)
	case TransformTruncate:
		if t.N >= len(s) {
			return s // N runes never take more than N bytes
		}
		n := 0
		for i := range s {
			if n == t.N {
				return s[:i]
			}
			n++
		}
	}
	return s
}

// hashHex returns the SHA-256 of s as lowercase hex.
func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Transforms is a chain of transforms applied in order.
type Transforms []Transform

// Validate reports the first invalid transform of ts (an unknown kind, a
// negative truncate length).
func (ts Transforms) Validate() error {
	for _, t := range ts {
		if err := t.validate(); err != nil {
			return err
		}
	}
	return nil
}

// String returns ts as `hitboxd check` shows it: "[lowercase truncate 8]".
func (ts Transforms) String() string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.String()
	}
	return "[" + strings.Join(names, " ") + "]"
}

// Apply returns s after every transform of ts, in order. Invalid
// transforms (see [Transforms.Validate]) leave the value as it is.
func (ts Transforms) Apply(s string) string {
	for _, t := range ts {
		if t.validate() == nil {
			s = t.apply(s)
		}
	}
	return s
}

// PartTransforms says which transforms apply to which parts of an
// extractor that adds several (a [BodyRegex] with named groups): the list
// form of config.md is All, the map form is ByPart.
type PartTransforms struct {
	// All applies to every part when ByPart is nil.
	All Transforms
	// ByPart, when not nil, gives the transforms of each part by part
	// name; parts it does not name keep their raw value and All is
	// ignored.
	ByPart map[string]Transforms
}

// For returns the transforms of the part called name.
func (p PartTransforms) For(name string) Transforms {
	if p.ByPart != nil {
		return p.ByPart[name]
	}
	return p.All
}

// String returns p as `hitboxd check` shows it: All ("[hash]"), or
// ByPart's transforms by part name, sorted ("{email: [hash], user: [uppercase]}").
func (p PartTransforms) String() string {
	if p.ByPart == nil {
		return p.All.String()
	}
	parts := make([]string, 0, len(p.ByPart))
	for _, name := range slices.Sorted(maps.Keys(p.ByPart)) {
		parts = append(parts, name+": "+p.ByPart[name].String())
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// Validate reports the first invalid transform of p.
func (p PartTransforms) Validate() error {
	if err := p.All.Validate(); err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(p.ByPart)) {
		if err := p.ByPart[name].Validate(); err != nil {
			return fmt.Errorf("part %q: %w", name, err)
		}
	}
	return nil
}
