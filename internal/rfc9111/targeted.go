package rfc9111

import (
	"strconv"
	"strings"
)

// CDNCacheControl is the targeted field RFC 9213 defines for CDN caches; a
// shared cache honours it after the configured targeted fields.
const CDNCacheControl = "Cdn-Cache-Control"

// ParseTargeted parses the lines of a targeted cache-control field (RFC
// 9213 §2.1): a Structured Fields Dictionary (RFC 8941) whose members are
// cache directives. Integers are delta-seconds, Booleans are flags (?0
// meaning absent), Strings and Inner Lists name fields for no-cache and
// private; parameters are ignored; a repeated key keeps its last value, as
// RFC 8941 says. ok is false when the field is empty or not a valid
// Dictionary: RFC 9213 then has the cache ignore it.
func ParseTargeted(lines []string) (d Directives, ok bool) {
	p := sfParser{}
	for _, line := range lines {
		p.s = line
		if !p.dictionary() {
			return Directives{}, false
		}
	}
	if len(p.members) == 0 {
		return Directives{}, false
	}
	for _, m := range p.members {
		d.setTargeted(m)
	}
	return d, true
}

// sfMember is one dictionary member: a key and its bare item (or the items
// of an inner list).
type sfMember struct {
	key   string
	kind  byte // 'b' boolean, 'i' integer, 's' string, 't' token, 'd' decimal, 'y' bytes, 'l' inner list
	value string
	items []string // inner list: strings and tokens only
	bad   bool     // an integer out of delta-seconds range, or a list of other items
}

type sfParser struct {
	s       string
	members []sfMember
}

func (p *sfParser) dictionary() bool {
	p.s = strings.TrimLeft(p.s, " ")
	if p.s == "" {
		return true
	}
	for {
		key, ok := p.key()
		if !ok {
			return false
		}
		m := sfMember{key: key, kind: 'b', value: "1"}
		if p.s != "" && p.s[0] == '=' {
			p.s = p.s[1:]
			if p.s != "" && p.s[0] == '(' {
				if !p.innerList(&m) {
					return false
				}
			} else if !p.bareItem(&m) {
				return false
			}
		}
		if !p.parameters() {
			return false
		}
		p.add(m)
		p.s = strings.TrimLeft(p.s, " \t")
		if p.s == "" {
			return true
		}
		if p.s[0] != ',' {
			return false
		}
		p.s = strings.TrimLeft(p.s[1:], " \t")
		if p.s == "" {
			return false // trailing comma
		}
	}
}

func (p *sfParser) add(m sfMember) {
	for i := range p.members {
		if p.members[i].key == m.key {
			p.members = append(p.members[:i], p.members[i+1:]...)
			break
		}
	}
	p.members = append(p.members, m)
}

func (p *sfParser) key() (string, bool) {
	s := p.s
	if s == "" || !(s[0] == '*' || 'a' <= s[0] && s[0] <= 'z') {
		return "", false
	}
	n := 1
	for n < len(s) && (('a' <= s[n] && s[n] <= 'z') || ('0' <= s[n] && s[n] <= '9') || strings.IndexByte("_-.*", s[n]) >= 0) {
		n++
	}
	p.s = s[n:]
	return s[:n], true
}

func (p *sfParser) parameters() bool {
	for p.s != "" && p.s[0] == ';' {
		p.s = strings.TrimLeft(p.s[1:], " ")
		if _, ok := p.key(); !ok {
			return false
		}
		if p.s != "" && p.s[0] == '=' {
			p.s = p.s[1:]
			var m sfMember
			if !p.bareItem(&m) {
				return false
			}
		}
	}
	return true
}

func (p *sfParser) innerList(m *sfMember) bool {
	m.kind = 'l'
	p.s = p.s[1:]
	for {
		p.s = strings.TrimLeft(p.s, " ")
		if p.s == "" {
			return false
		}
		if p.s[0] == ')' {
			p.s = p.s[1:]
			return true
		}
		var it sfMember
		if !p.bareItem(&it) || !p.parameters() {
			return false
		}
		if it.kind == 's' || it.kind == 't' {
			m.items = append(m.items, it.value)
		} else {
			m.bad = true
		}
		if p.s != "" && p.s[0] != ' ' && p.s[0] != ')' {
			return false
		}
	}
}

func (p *sfParser) bareItem(m *sfMember) bool {
	s := p.s
	if s == "" {
		return false
	}
	switch c := s[0]; {
	case c == '-' || '0' <= c && c <= '9':
		return p.number(m)
	case c == '"':
		return p.str(m)
	case c == '?':
		if len(s) < 2 || (s[1] != '0' && s[1] != '1') {
			return false
		}
		m.kind, m.value, p.s = 'b', s[1:2], s[2:]
		return true
	case c == ':':
		end := strings.IndexByte(s[1:], ':')
		if end < 0 {
			return false
		}
		m.kind, m.value, p.s = 'y', s[1:end+1], s[end+2:]
		return true
	case c == '*' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		n := 1
		for n < len(s) && (isTchar(s[n]) || s[n] == ':' || s[n] == '/') {
			n++
		}
		m.kind, m.value, p.s = 't', s[:n], s[n:]
		return true
	}
	return false
}

func (p *sfParser) number(m *sfMember) bool {
	s := p.s
	n, digits, dot := 0, 0, -1
	if s[0] == '-' {
		n = 1
	}
	for ; n < len(s); n++ {
		c := s[n]
		if '0' <= c && c <= '9' {
			digits++
			continue
		}
		if c == '.' && dot < 0 && digits > 0 {
			dot = n
			continue
		}
		break
	}
	if digits == 0 || digits > 15 || (dot >= 0 && (dot == n-1 || n-dot-1 > 3)) {
		return false
	}
	m.value, p.s = s[:n], s[n:]
	if dot >= 0 {
		m.kind = 'd'
		return true
	}
	m.kind = 'i'
	if v, err := strconv.ParseInt(m.value, 10, 64); err != nil || v < 0 {
		m.bad = true
	}
	return true
}

func (p *sfParser) str(m *sfMember) bool {
	s := p.s
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 >= len(s) || (s[i+1] != '"' && s[i+1] != '\\') {
				return false
			}
			i++
			b.WriteByte(s[i])
		case c == '"':
			m.kind, m.value, p.s = 's', b.String(), s[i+1:]
			return true
		case c < 0x20 || c > 0x7e:
			return false
		default:
			b.WriteByte(c)
		}
	}
	return false
}

// setTargeted maps one dictionary member onto the directives.
func (d *Directives) setTargeted(m sfMember) {
	if m.kind == 'b' && m.value == "0" {
		return // a false Boolean is an absent directive
	}
	switch m.key {
	case "max-age", "s-maxage", "max-stale", "min-fresh", "stale-while-revalidate", "stale-if-error":
		if m.kind == 'i' && !m.bad {
			d.set(m.key, m.value, true, false)
		} else {
			d.set(m.key, "", true, true)
		}
	case "no-cache", "private":
		switch m.kind {
		case 's':
			d.set(m.key, m.value, true, false)
		case 'l':
			d.set(m.key, strings.Join(m.items, ","), !m.bad && len(m.items) > 0, false)
		default:
			d.set(m.key, "", false, false)
		}
	default:
		if m.kind == 'b' {
			d.set(m.key, "", false, false)
		} else {
			d.set(m.key, m.value, true, false)
		}
	}
}
