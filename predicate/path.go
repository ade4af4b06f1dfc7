package predicate

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/hitbox-go/hitbox/internal/httpread"
)

// PathPattern is a compiled path pattern (see [Path]). It is a [Request]
// predicate, and key extractors use [PathPattern.Captures] to read the
// values of its parameters. A PathPattern is immutable and safe for
// concurrent use.
type PathPattern struct {
	src   string
	segs  []pathSeg
	names []string
}

// Capture is the value of one named parameter of a [PathPattern], as sent
// (percent-escapes kept: "robert%20sheckley").
type Capture struct {
	Name  string // the parameter's name, as in the pattern
	Value string // the matched text, as sent
}

type pathSegKind uint8

const (
	segLiteral pathSegKind = iota + 1 // text must follow
	segParam                          // one non-empty segment, up to the next '/'
	segTail                           // the rest of the path, possibly empty
)

type pathSeg struct {
	kind pathSegKind
	text string         // segLiteral: the normalized literal; segParam, segTail: the name ("" for *)
	re   *regexp.Regexp // segParam with a regex: anchored at both ends
}

// Path compiles a path pattern. The whole path must match the pattern, so
// a trailing slash counts, and the comparison is case-sensitive. Matching
// works on the path as sent, [url.URL.EscapedPath] ("/" when empty), so
// percent-escapes are not decoded: "a%2Fb" is one segment, and
// "robert%20sheckley" is matched as sent.
//
// The pattern is made of:
//
//   - literal text, compared byte for byte, except that the two hex digits
//     of a percent-escape compare case-insensitively (%c3 matches %C3). A
//     character that a path always carries escaped (a space, a non-ASCII
//     byte, `"`, `?` ...) may be written plainly: it is escaped first, so
//     `/robert sheckley` matches the path /robert%20sheckley. An escaped
//     character does not match its plain form (%41 is not A);
//   - {name}: one whole, non-empty segment, up to the next slash;
//   - {name:regex}: one whole segment that the regular expression (RE2
//     syntax, anchored at both ends, matched against the segment as sent)
//     accepts; braces inside the regex must balance;
//   - {name}*: the rest of the path, slashes included, possibly empty; it
//     ends the pattern. "{path}*" captures the whole path;
//   - *: the rest of the path, uncaptured; it ends the pattern.
//
// A pattern starts with '/', '*' or '{name}*'; {name} and {name:regex}
// fill a whole segment (a slash before, a slash or the end after); names
// are made of letters, digits, '_', '-' and '.', and are unique. A pattern
// that breaks these rules is an error naming it.
func Path(pattern string) (*PathPattern, error) {
	p, reason := parsePath(pattern)
	if reason != "" {
		return nil, fmt.Errorf("predicate: invalid path pattern %q: %s", pattern, reason)
	}
	return p, nil
}

func parsePath(pattern string) (*PathPattern, string) {
	if pattern == "" {
		return nil, "empty"
	}
	if c := pattern[0]; c != '/' && c != '*' && c != '{' {
		return nil, "must start with '/'"
	}
	p := &PathPattern{src: pattern}
	var lit []byte
	flush := func() {
		if len(lit) > 0 {
			p.segs = append(p.segs, pathSeg{kind: segLiteral, text: string(lit)})
			lit = lit[:0]
		}
	}
	for i := 0; i < len(pattern); {
		switch c := pattern[i]; c {
		case '{':
			name, expr, end, reason := parseParam(pattern, i)
			if reason != "" {
				return nil, reason
			}
			if slices.Contains(p.names, name) {
				return nil, fmt.Sprintf("duplicate parameter {%s}", name)
			}
			p.names = append(p.names, name)
			flush()
			if end < len(pattern) && pattern[end] == '*' {
				if expr != "" {
					return nil, fmt.Sprintf("{%s:%s}* takes no regex", name, expr)
				}
				if end+1 != len(pattern) {
					return nil, fmt.Sprintf("{%s}* must end the pattern", name)
				}
				p.segs = append(p.segs, pathSeg{kind: segTail, text: name})
				i = end + 1
				continue
			}
			if i == 0 || pattern[i-1] != '/' || (end < len(pattern) && pattern[end] != '/') {
				return nil, fmt.Sprintf("{%s} must fill a whole segment", name)
			}
			seg := pathSeg{kind: segParam, text: name}
			if expr != "" {
				re, err := regexp.Compile(`^(?:` + expr + `)$`)
				if err != nil {
					return nil, fmt.Sprintf("invalid regex %q: %v", expr, err)
				}
				seg.re = re
			}
			p.segs = append(p.segs, seg)
			i = end
		case '}':
			return nil, "unmatched '}'"
		case '*':
			if i != len(pattern)-1 {
				return nil, "'*' must end the pattern"
			}
			flush()
			p.segs = append(p.segs, pathSeg{kind: segTail})
			i++
		case '%':
			if i+2 >= len(pattern) || !isHex(pattern[i+1]) || !isHex(pattern[i+2]) {
				return nil, fmt.Sprintf("invalid escape at byte %d", i)
			}
			lit = append(lit, '%', upperHex(pattern[i+1]), upperHex(pattern[i+2]))
			i += 3
		default:
			if isPathByte(c) {
				lit = append(lit, c)
			} else {
				lit = append(lit, '%', hexDigits[c>>4], hexDigits[c&15])
			}
			i++
		}
	}
	flush()
	return p, ""
}

// parseParam reads the parameter that starts with the '{' at i. It returns
// its name, its regex ("" for none) and the index after its '}'.
func parseParam(pattern string, i int) (name, expr string, end int, reason string) {
	j := i + 1
	for j < len(pattern) && pattern[j] != ':' && pattern[j] != '}' {
		j++
	}
	if j == len(pattern) {
		return "", "", 0, "unclosed '{'"
	}
	name = pattern[i+1 : j]
	if !isParamNameSyntax(name) {
		return "", "", 0, fmt.Sprintf("invalid parameter name %q", name)
	}
	if pattern[j] == '}' {
		return name, "", j + 1, ""
	}
	depth := 0
	for k := j + 1; k < len(pattern); k++ {
		switch pattern[k] {
		case '\\':
			k++ // the escaped byte never opens or closes
		case '{':
			depth++
		case '}':
			if depth == 0 {
				expr = pattern[j+1 : k]
				if expr == "" {
					return "", "", 0, fmt.Sprintf("empty regex in {%s:}", name)
				}
				return name, expr, k + 1, ""
			}
			depth--
		}
	}
	return "", "", 0, "unclosed '{'"
}

func isParamNameSyntax(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// isPathByte reports whether c may appear unescaped in a path as sent
// (net/url's validEncoded for paths, '%' aside).
func isPathByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-_.~!$&'()*+,;=:@[]/", c) >= 0
}

const hexDigits = "0123456789ABCDEF"

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func upperHex(c byte) byte {
	if 'a' <= c && c <= 'f' {
		return c - 'a' + 'A'
	}
	return c
}

// Match reports whether the request's path as sent ([url.URL.EscapedPath],
// "/" when empty) matches the pattern. A nil request does not match.
func (p *PathPattern) Match(r *http.Request) bool {
	if r == nil || r.URL == nil {
		return false
	}
	return p.walk(httpread.Path(r), nil)
}

// MatchPath reports whether path, as sent (escaped), matches the pattern.
// It does not allocate.
func (p *PathPattern) MatchPath(path string) bool {
	return p.walk(path, nil)
}

// Captures matches path, as sent (escaped), and returns the parameters'
// values in the order of the pattern. ok is false when path does not match.
// Bare * captures nothing; a pattern without parameters returns an empty
// slice on a match.
func (p *PathPattern) Captures(path string) (caps []Capture, ok bool) {
	caps = make([]Capture, 0, len(p.names))
	if !p.walk(path, &caps) {
		return nil, false
	}
	return caps, true
}

// Names returns the names of the pattern's parameters, in order.
func (p *PathPattern) Names() []string {
	return slices.Clone(p.names)
}

// String returns the pattern as written.
func (p *PathPattern) String() string {
	return p.src
}

func (p *PathPattern) walk(path string, caps *[]Capture) bool {
	for _, s := range p.segs {
		switch s.kind {
		case segLiteral:
			if !hasLiteralPrefix(path, s.text) {
				return false
			}
			path = path[len(s.text):]
		case segParam:
			n := strings.IndexByte(path, '/')
			if n < 0 {
				n = len(path)
			}
			if n == 0 || s.re != nil && !s.re.MatchString(path[:n]) {
				return false
			}
			if caps != nil {
				*caps = append(*caps, Capture{Name: s.text, Value: path[:n]})
			}
			path = path[n:]
		case segTail:
			if caps != nil && s.text != "" {
				*caps = append(*caps, Capture{Name: s.text, Value: path})
			}
			path = ""
		}
	}
	return path == ""
}

// hasLiteralPrefix reports whether s starts with the normalized literal
// lit, the hex digits of lit's percent-escapes (upper case) matching either
// case in s.
func hasLiteralPrefix(s, lit string) bool {
	if len(s) < len(lit) {
		return false
	}
	for i := 0; i < len(lit); i++ {
		c := lit[i]
		if s[i] != c {
			return false
		}
		if c == '%' {
			if upperHex(s[i+1]) != lit[i+1] || upperHex(s[i+2]) != lit[i+2] {
				return false
			}
			i += 2
		}
	}
	return true
}
