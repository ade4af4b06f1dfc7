package httpcache

import (
	"net/http"
	"net/netip"
	"strconv"
	"strings"
)

// Scope is where an entry of [Middleware] or [Transport] lives: the
// namespace of its key ([hitbox.Key.Namespace]), apart from the parts the
// extractors made. Entries of different endpoints, faces (Middleware or
// Transport), schemes or hosts never share a key, whatever their parts.
//
// A Scope is encoded as its fields joined by '/':
//
//	<prefix>/<face>/<endpoint>/<scheme>/<host>[/<variant>]
//
// where prefix, endpoint, scheme and host keep ASCII letters, digits, '-',
// '.' and '_' and write every other byte as '~' and two uppercase hex
// digits (so no field holds a '/', and no value can be crafted to look
// like another field); face is "srv" (Middleware) or "cli" (Transport);
// host is a lone '~' when the endpoint does not key the host; variant is
// the 32 hex digits of a response's secondary key (see [Endpoint] and
// Vary) and is absent from the primary entry. These characters pass
// through hitbox's URL-encoded keys unescaped, so the namespace reads as
// written: "/srv/books/http/api.example:v0:method=GET&path=/books".
type Scope struct {
	// Prefix is the namespace given with [WithNamespace] ("" for none).
	Prefix string
	// Client is true for the entries of a [Transport], false for those of
	// a [Middleware].
	Client bool
	// Endpoint is the endpoint's identity ([Endpoint.ID]).
	Endpoint string
	// Scheme is the request's scheme ("http" or "https").
	Scheme string
	// Host is the request's host, normalised (lower case, the default
	// port of Scheme dropped); "" with AnyHost.
	Host string
	// AnyHost is true when the endpoint does not key the host
	// ([Endpoint.IgnoreHost]).
	AnyHost bool
	// Variant is "" for a primary entry, or the secondary key (32
	// lowercase hex digits) of a response stored per Vary.
	Variant string
}

// Face tokens of a Scope.
const (
	faceServer = "srv"
	faceClient = "cli"
)

// variantLen is the length of a Scope's Variant: 16 bytes in hex.
const variantLen = 32

// Namespace returns the encoded Scope, the [hitbox.Key.Namespace] of its
// entries.
func (s Scope) Namespace() string { return string(s.AppendNamespace(nil)) }

// AppendNamespace appends the encoded Scope to dst.
func (s Scope) AppendNamespace(dst []byte) []byte {
	dst = appendScopeHead(dst, s.Prefix, s.Client, s.Endpoint)
	dst = appendScopeHost(dst, s.Scheme, s.Host, s.AnyHost)
	if s.Variant != "" {
		dst = append(dst, '/')
		dst = append(dst, s.Variant...)
	}
	return dst
}

// appendScopeHead appends the fields that are the same for every entry of
// an endpoint, and the '/' after them.
func appendScopeHead(dst []byte, prefix string, client bool, endpoint string) []byte {
	dst = appendField(dst, prefix)
	dst = append(dst, '/')
	if client {
		dst = append(dst, faceClient...)
	} else {
		dst = append(dst, faceServer...)
	}
	dst = append(dst, '/')
	dst = appendField(dst, endpoint)
	return append(dst, '/')
}

// appendScopeHost appends the scheme and host fields.
func appendScopeHost(dst []byte, scheme, host string, anyHost bool) []byte {
	dst = appendField(dst, scheme)
	dst = append(dst, '/')
	if anyHost {
		return append(dst, '~')
	}
	return appendField(dst, host)
}

// ParseScope decodes a namespace that [Scope.Namespace] wrote; ok is false
// for any other string (a namespace of another kind of entry, say). It
// accepts exactly the strings Namespace produces.
func ParseScope(namespace string) (s Scope, ok bool) {
	f := strings.Split(namespace, "/")
	if len(f) != 5 && len(f) != 6 {
		return Scope{}, false
	}
	switch f[1] {
	case faceServer:
	case faceClient:
		s.Client = true
	default:
		return Scope{}, false
	}
	if s.Prefix, ok = unescapeField(f[0]); !ok {
		return Scope{}, false
	}
	if s.Endpoint, ok = unescapeField(f[2]); !ok {
		return Scope{}, false
	}
	if s.Scheme, ok = unescapeField(f[3]); !ok {
		return Scope{}, false
	}
	if f[4] == "~" {
		s.AnyHost = true
	} else if s.Host, ok = unescapeField(f[4]); !ok {
		return Scope{}, false
	}
	if len(f) == 6 {
		if !isVariant(f[5]) {
			return Scope{}, false
		}
		s.Variant = f[5]
	}
	return s, true
}

// isVariant reports whether v is 32 lowercase hex digits.
func isVariant(v string) bool {
	if len(v) != variantLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// fieldByte reports whether c is written as is in a Scope field.
func fieldByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_'
}

const upperHexDigits = "0123456789ABCDEF"

func appendField(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if fieldByte(c) {
			dst = append(dst, c)
		} else {
			dst = append(dst, '~', upperHexDigits[c>>4], upperHexDigits[c&15])
		}
	}
	return dst
}

// unescapeField reverses appendField, refusing what it never writes.
func unescapeField(s string) (string, bool) {
	if !strings.Contains(s, "~") {
		for i := 0; i < len(s); i++ {
			if !fieldByte(s[i]) {
				return "", false
			}
		}
		return s, true
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case fieldByte(c):
			out = append(out, c)
		case c == '~' && i+2 < len(s):
			hi := strings.IndexByte(upperHexDigits, s[i+1])
			lo := strings.IndexByte(upperHexDigits, s[i+2])
			if hi < 0 || lo < 0 || fieldByte(byte(hi<<4|lo)) {
				return "", false
			}
			out = append(out, byte(hi<<4|lo))
			i += 2
		default:
			return "", false
		}
	}
	return string(out), true
}

// requestScheme is the scheme of a request: a client request's URL
// scheme (lower case), or for a server request "https" when it came over
// TLS and "http" otherwise.
func requestScheme(r *http.Request, client bool) string {
	if client {
		if r.URL != nil && r.URL.Scheme != "" {
			return strings.ToLower(r.URL.Scheme)
		}
		return "http"
	}
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// requestHost is the host a request is for: its Host (the Host header of
// a server request, the override of a client request) or else its URL's
// host, normalised by [NormalizeHost].
func requestHost(r *http.Request, scheme string) string {
	h := r.Host
	if h == "" && r.URL != nil {
		h = r.URL.Host
	}
	return NormalizeHost(h, scheme)
}

// NormalizeHost returns host (a Host header or URL host, with an optional
// port) as entries are keyed by it: ASCII lower case, the port dropped
// when it is empty or the default of scheme (80 for http, 443 for https),
// a port's leading zeros dropped, and an IPv6 literal in its canonical
// form ("[0:0::1]:8080" becomes "[::1]:8080"). A host it cannot read is
// only lower-cased: it keys its own entries, never another host's.
func NormalizeHost(host, scheme string) string {
	h := strings.ToLower(host)
	name, port := h, ""
	switch {
	case strings.HasPrefix(h, "["):
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return h
		}
		name, port = h[:end+1], h[end+1:]
		if port != "" && port[0] != ':' {
			return h
		}
		if a, err := netip.ParseAddr(name[1 : len(name)-1]); err == nil && a.Is6() && a.Zone() == "" {
			name = "[" + a.String() + "]"
		}
	case strings.Count(h, ":") == 1:
		i := strings.IndexByte(h, ':')
		name, port = h[:i], h[i:]
	}
	port = strings.TrimPrefix(port, ":")
	if port != "" {
		if n, err := strconv.ParseUint(port, 10, 16); err == nil {
			port = strconv.FormatUint(n, 10)
		}
	}
	if port == "" || port == defaultPort(scheme) {
		return name
	}
	return name + ":" + port
}

// defaultPort is the port a scheme implies.
func defaultPort(scheme string) string {
	switch scheme {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}
