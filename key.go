package hitbox

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// KeyPart is one named part of a cache key. A part may have no value at all
// (an absent header), which is not the same as an empty value.
type KeyPart struct {
	// Name names the part ("method", "path", "X-Tenant-Id", ...).
	Name string
	// Value is the part's value; meaningful only when HasValue is true.
	Value string
	// HasValue is false for a part with no value (null in the admin API).
	HasValue bool
}

// Part returns a part with a value.
func Part(name, value string) KeyPart { return KeyPart{Name: name, Value: value, HasValue: true} }

// AbsentPart returns a part with no value.
func AbsentPart(name string) KeyPart { return KeyPart{Name: name} }

// KeyFormat selects how a [Key] is encoded into the string backends store
// under. The zero KeyFormat is invalid; [Key.Encode] treats it as
// [KeyURLEncoded].
type KeyFormat int

const (
	// KeyURLEncoded is readable text: "v<version>:" (after an optional
	// "<namespace>:") then the parts as name=value pairs joined by '&',
	// percent-encoded so that no value can forge a separator. A part with
	// no value is written as its bare name, an empty name as a lone '%'.
	// hitbox calls it UrlEncoded. Example: "v0:method=GET&path=/books".
	KeyURLEncoded KeyFormat = iota + 1
	// KeyBinary is a compact length-prefixed form starting with a NUL byte
	// (hitbox's Bitcode is read as Binary).
	KeyBinary
)

// String returns "UrlEncoded", "Binary" or "KeyFormat(N)".
func (f KeyFormat) String() string {
	switch f {
	case KeyURLEncoded:
		return "UrlEncoded"
	case KeyBinary:
		return "Binary"
	}
	return "KeyFormat(" + strconv.Itoa(int(f)) + ")"
}

// ParseKeyFormat reads a key format name as hitbox's configuration writes it
// (UrlEncoded, Binary, Bitcode), case-insensitively.
func ParseKeyFormat(s string) (KeyFormat, error) {
	switch strings.ToLower(s) {
	case "urlencoded":
		return KeyURLEncoded, nil
	case "binary", "bitcode":
		return KeyBinary, nil
	}
	return 0, fmt.Errorf("hitbox: unknown key format %q (want UrlEncoded or Binary)", s)
}

// Key is a cache key: an ordered list of parts plus a namespace and a
// version. Two keys are the same entry exactly when their namespaces,
// versions and parts (names, values, presence and order) are equal, and
// then their encodings are equal too; different keys never encode the same.
type Key struct {
	// Namespace separates unrelated caches sharing a backend; "" is none.
	Namespace string
	// Version is bumped to invalidate every key of a namespace at once.
	Version uint32
	// Parts are the key's parts in extractor order.
	Parts []KeyPart
}

// ErrKeySyntax is wrapped by the errors of [ParseKey].
var ErrKeySyntax = errors.New("hitbox: malformed key")

// String returns the key in [KeyURLEncoded] form.
func (k Key) String() string { return k.Encode(KeyURLEncoded) }

// Encode returns the key's encoding in format f.
func (k Key) Encode(f KeyFormat) string {
	if f == KeyBinary {
		return string(k.AppendBinary(nil))
	}
	return string(k.AppendURLEncoded(nil))
}

// AppendURLEncoded appends the [KeyURLEncoded] form of k to dst.
func (k Key) AppendURLEncoded(dst []byte) []byte {
	if k.Namespace != "" {
		dst = appendEscaped(dst, k.Namespace)
		dst = append(dst, ':')
	}
	dst = append(dst, 'v')
	dst = strconv.AppendUint(dst, uint64(k.Version), 10)
	dst = append(dst, ':')
	for i, p := range k.Parts {
		if i > 0 {
			dst = append(dst, '&')
		}
		if p.Name == "" {
			// A lone '%' never occurs otherwise, so an empty name
			// stays distinct from no part at all.
			dst = append(dst, '%')
		} else {
			dst = appendEscaped(dst, p.Name)
		}
		if p.HasValue {
			dst = append(dst, '=')
			dst = appendEscaped(dst, p.Value)
		}
	}
	return dst
}

// AppendBinary appends the [KeyBinary] form of k to dst.
func (k Key) AppendBinary(dst []byte) []byte {
	dst = append(dst, 0, 'B')
	dst = binary.AppendUvarint(dst, uint64(k.Version))
	dst = appendString(dst, k.Namespace)
	dst = binary.AppendUvarint(dst, uint64(len(k.Parts)))
	for _, p := range k.Parts {
		dst = appendString(dst, p.Name)
		if p.HasValue {
			dst = append(dst, 1)
			dst = appendString(dst, p.Value)
		} else {
			dst = append(dst, 0)
		}
	}
	return dst
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// ParseKey decodes a key in either format (a leading NUL byte marks
// [KeyBinary]). It accepts exactly the strings [Key.Encode] produces, so
// ParseKey(k.Encode(f)) equals k and every accepted string re-encodes to
// itself.
func ParseKey(s string) (Key, error) {
	if strings.HasPrefix(s, "\x00") {
		return parseBinary(s)
	}
	return parseURLEncoded(s)
}

func parseURLEncoded(s string) (Key, error) {
	var k Key
	head, parts, ok := strings.Cut(s, ":")
	if !ok {
		return k, fmt.Errorf("%w: %q has no version", ErrKeySyntax, s)
	}
	if ns, rest, hasNS := strings.Cut(parts, ":"); hasNS {
		name, err := unescape(head)
		if err != nil {
			return k, err
		}
		if name == "" {
			return k, fmt.Errorf("%w: empty namespace", ErrKeySyntax)
		}
		k.Namespace, head, parts = name, ns, rest
	}
	if len(head) < 2 || head[0] != 'v' || (head[1] == '0' && len(head) > 2) {
		return k, fmt.Errorf("%w: bad version %q", ErrKeySyntax, head)
	}
	v, err := strconv.ParseUint(head[1:], 10, 32)
	if err != nil {
		return k, fmt.Errorf("%w: bad version %q", ErrKeySyntax, head)
	}
	k.Version = uint32(v)
	if parts == "" {
		return k, nil
	}
	for field := range strings.SplitSeq(parts, "&") {
		name, value, hasValue := strings.Cut(field, "=")
		p := KeyPart{HasValue: hasValue}
		switch name {
		case "%":
		case "":
			return k, fmt.Errorf("%w: empty part name must be written as %%", ErrKeySyntax)
		default:
			if p.Name, err = unescape(name); err != nil {
				return k, err
			}
		}
		if hasValue {
			if p.Value, err = unescape(value); err != nil {
				return k, err
			}
		}
		k.Parts = append(k.Parts, p)
	}
	return k, nil
}

func parseBinary(s string) (Key, error) {
	var k Key
	b := []byte(s)
	if len(b) < 2 || b[1] != 'B' {
		return k, fmt.Errorf("%w: bad binary marker", ErrKeySyntax)
	}
	b = b[2:]
	v, b, err := readUvarint(b)
	if err != nil || v > 1<<32-1 {
		return k, fmt.Errorf("%w: bad version", ErrKeySyntax)
	}
	k.Version = uint32(v)
	if k.Namespace, b, err = readString(b); err != nil {
		return k, err
	}
	n, b, err := readUvarint(b)
	if err != nil || n > uint64(len(b)) {
		return k, fmt.Errorf("%w: bad part count", ErrKeySyntax)
	}
	if n > 0 {
		k.Parts = make([]KeyPart, 0, n)
	}
	for range n {
		var p KeyPart
		if p.Name, b, err = readString(b); err != nil {
			return k, err
		}
		if len(b) == 0 || b[0] > 1 {
			return k, fmt.Errorf("%w: bad presence flag", ErrKeySyntax)
		}
		p.HasValue = b[0] == 1
		b = b[1:]
		if p.HasValue {
			if p.Value, b, err = readString(b); err != nil {
				return k, err
			}
		}
		k.Parts = append(k.Parts, p)
	}
	if len(b) != 0 {
		return k, fmt.Errorf("%w: %d trailing bytes", ErrKeySyntax, len(b))
	}
	return k, nil
}

func readUvarint(b []byte) (uint64, []byte, error) {
	v, n := binary.Uvarint(b)
	// Reject overflow, truncation and non-minimal encodings so that
	// every accepted string re-encodes to itself.
	if n <= 0 || (n > 1 && b[n-1] == 0) {
		return 0, nil, fmt.Errorf("%w: bad length", ErrKeySyntax)
	}
	return v, b[n:], nil
}

func readString(b []byte) (string, []byte, error) {
	n, b, err := readUvarint(b)
	if err != nil {
		return "", nil, err
	}
	if n > uint64(len(b)) {
		return "", nil, fmt.Errorf("%w: truncated", ErrKeySyntax)
	}
	return string(b[:n]), b[n:], nil
}

const upperHex = "0123456789ABCDEF"

// keep reports whether c is written as is in the URL-encoded form:
// unreserved characters of RFC 3986 and '/', which is no separator here.
func keep(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~' || c == '/'
}

func appendEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if keep(c) {
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
	}
	return dst
}

// unescape reverses appendEscaped and rejects every string appendEscaped
// cannot produce (raw reserved bytes, lowercase or needless escapes).
func unescape(s string) (string, error) {
	if !strings.Contains(s, "%") {
		for i := 0; i < len(s); i++ {
			if !keep(s[i]) {
				return "", fmt.Errorf("%w: unescaped byte %q", ErrKeySyntax, s[i])
			}
		}
		return s, nil
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) {
				return "", fmt.Errorf("%w: truncated escape", ErrKeySyntax)
			}
			hi, lo := unhex(s[i+1]), unhex(s[i+2])
			if hi < 0 || lo < 0 {
				return "", fmt.Errorf("%w: bad escape %q", ErrKeySyntax, s[i:i+3])
			}
			b := byte(hi<<4 | lo)
			if keep(b) {
				return "", fmt.Errorf("%w: needless escape %q", ErrKeySyntax, s[i:i+3])
			}
			out = append(out, b)
			i += 2
		case keep(c):
			out = append(out, c)
		default:
			return "", fmt.Errorf("%w: unescaped byte %q", ErrKeySyntax, c)
		}
	}
	return string(out), nil
}

// unhex decodes one uppercase hex digit, or returns -1.
func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'A' <= c && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}
