package backend

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonFields are jsonEntry's keys in the order appendJSON writes them.
var jsonFields = [...]string{"written", "stale", "expire", "keep", "encoding", "value", "tags"}

// Indexes in jsonFields of the fields that are not plain strings.
const (
	jsonValueField = 5
	jsonTagsField  = 6
)

// parseJSONFast reads the exact layout appendJSON writes (keys in order,
// no white space) without reflection. It reports
// false for anything else, which then goes through encoding/json: the fast
// path accepts a subset of what json.Unmarshal accepts and reads it the
// same way.
func parseJSONFast(p []byte) (jsonEntry, bool) {
	var je jsonEntry
	if len(p) < 2 || p[0] != '{' || p[len(p)-1] != '}' {
		return je, false
	}
	p = p[1 : len(p)-1]
	fields := [len(jsonFields)]*string{&je.Written, &je.Stale, &je.Expire, &je.Keep, &je.Encoding, nil, nil}
	first := true
	for i := 0; len(p) > 0; i++ {
		if !first {
			if p[0] != ',' {
				return je, false
			}
			p = p[1:]
		}
		first = false
		// Find the next key in order.
		for i < len(jsonFields) && !hasKey(p, jsonFields[i]) {
			i++
		}
		if i == len(jsonFields) {
			return je, false
		}
		p = p[len(jsonFields[i])+3:]
		if i == jsonTagsField {
			tags, rest, ok := jsonStrings(p)
			if !ok {
				return je, false
			}
			je.Tags, p = tags, rest
			continue
		}
		s, rest, ok := jsonString(p)
		if !ok {
			return je, false
		}
		p = rest
		if i == jsonValueField {
			je.Value = &s
		} else {
			*fields[i] = s
		}
	}
	return je, true
}

// jsonStrings reads a non-empty JSON array of strings (see jsonString),
// without white space, from the start of p, as appendJSON writes tags.
func jsonStrings(p []byte) ([]string, []byte, bool) {
	if len(p) < 2 || p[0] != '[' || p[1] == ']' {
		return nil, nil, false
	}
	p = p[1:]
	var out []string
	for {
		s, rest, ok := jsonString(p)
		if !ok || len(rest) == 0 {
			return nil, nil, false
		}
		out = append(out, s)
		switch rest[0] {
		case ']':
			return out, rest[1:], true
		case ',':
			p = rest[1:]
		default:
			return nil, nil, false
		}
	}
}

// hasKey reports whether p starts with "key":.
func hasKey(p []byte, key string) bool {
	return len(p) > len(key)+2 && p[0] == '"' && string(p[1:1+len(key)]) == key &&
		p[1+len(key)] == '"' && p[2+len(key)] == ':'
}

// jsonString reads a JSON string without control characters from the
// start of p. Escapes are read as encoding/json reads them, except a \u
// of a surrogate (a pair, or one alone), which it declines.
func jsonString(p []byte) (string, []byte, bool) {
	if len(p) == 0 || p[0] != '"' {
		return "", nil, false
	}
	escaped := false
	for i := 1; i < len(p); i++ {
		switch c := p[i]; {
		case c == '\\':
			escaped = true
			i++ // the escaped byte cannot end the string
		case c == '"':
			if !escaped {
				return string(p[1:i]), p[i+1:], true
			}
			s, ok := unescapeJSON(p[1:i])
			return s, p[i+1:], ok
		case c < 0x20:
			return "", nil, false
		}
	}
	return "", nil, false
}

// unescapeJSON decodes the escapes of a JSON string's contents s.
func unescapeJSON(s []byte) (string, bool) {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			out = append(out, s[i])
			continue
		}
		i++
		if i == len(s) {
			return "", false
		}
		switch c := s[i]; c {
		case '"', '\\', '/':
			out = append(out, c)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			if i+4 >= len(s) {
				return "", false
			}
			r, err := strconv.ParseUint(string(s[i+1:i+5]), 16, 32)
			if err != nil || utf16.IsSurrogate(rune(r)) {
				return "", false
			}
			out = utf8.AppendRune(out, rune(r))
			i += 4
		default:
			return "", false
		}
	}
	return string(out), true
}
