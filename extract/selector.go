package extract

import (
	"fmt"
	"regexp"
)

// Selector is hitbox 0.2's selector form of the Query and Header
// extractors (see [QuerySelector] and [HeaderSelector]).
type Selector struct {
	// Name is the parameter or header name ({eq: name}, or a plain name),
	// or with Prefix the prefix names must start with ({starts: prefix}).
	// It must not be empty unless Prefix is set (an empty prefix selects
	// every name).
	Name string
	// Prefix selects every name starting with Name.
	Prefix bool
	// Value is an optional regular expression (Go syntax) searched in each
	// value: the part's value is its first capture group when the regex
	// has one and it took part in the match, otherwise the whole match.
	// "" keeps values whole.
	Value string
	// Transforms apply, in order, to each value found (after Value).
	Transforms Transforms
}

// compiled is a validated Selector.
type compiled struct {
	name       string
	prefix     bool
	value      *regexp.Regexp // nil: whole value
	transforms Transforms
}

func (s Selector) compile(kind string) (compiled, error) {
	c := compiled{name: s.Name, prefix: s.Prefix, transforms: s.Transforms}
	if s.Name == "" && !s.Prefix {
		return c, fmt.Errorf("extract: %s selector with an empty name", kind)
	}
	if s.Value != "" {
		re, err := regexp.Compile(s.Value)
		if err != nil {
			return c, fmt.Errorf("extract: %s %q: invalid value regex %q: %w", kind, s.Name, s.Value, err)
		}
		c.value = re
	}
	if err := s.Transforms.Validate(); err != nil {
		return c, fmt.Errorf("extract: %s %q: %w", kind, s.Name, err)
	}
	return c, nil
}

// describe writes the selector of a kind of extractor ("Header") as
// `hitboxd check` shows it: `Header starts "x-" value "re" transforms [hash]`.
func (c *compiled) describe(kind string) string {
	s := fmt.Sprintf("%s %q", kind, c.name)
	if c.prefix {
		s = fmt.Sprintf("%s starts %q", kind, c.name)
	}
	if c.value != nil {
		s += fmt.Sprintf(" value %q", c.value.String())
	}
	if len(c.transforms) > 0 {
		s += " transforms " + c.transforms.String()
	}
	return s
}

// pick returns what the selector keeps of v, and false when its value
// regex does not match.
func (c *compiled) pick(v string) (string, bool) {
	if c.value != nil {
		m := c.value.FindStringSubmatchIndex(v)
		if m == nil {
			return "", false
		}
		if len(m) >= 4 && m[2] >= 0 {
			v = v[m[2]:m[3]]
		} else {
			v = v[m[0]:m[1]]
		}
	}
	return c.transforms.Apply(v), true
}
