package backend

import "bytes"

// jsonFields are jsonEntry's keys in the order appendJSON writes them.
var jsonFields = [...]string{"written", "stale", "expire", "keep", "encoding", "value", "tags"}

// Indexes in jsonFields of the fields that are not plain strings.
const (
	jsonValueField = 5
	jsonTagsField  = 6
)

// parseJSONFast reads the exact layout appendJSON writes (keys in order,
// no white space, strings without escapes) without reflection. It reports
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

// jsonStrings reads a non-empty JSON array of strings without escapes, and
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

// jsonString reads a JSON string without escapes or control characters
// from the start of p.
func jsonString(p []byte) (string, []byte, bool) {
	if len(p) == 0 || p[0] != '"' {
		return "", nil, false
	}
	end := bytes.IndexByte(p[1:], '"')
	if end < 0 {
		return "", nil, false
	}
	s := p[1 : 1+end]
	if bytes.IndexByte(s, '\\') >= 0 {
		return "", nil, false
	}
	for _, c := range s {
		if c < 0x20 {
			return "", nil, false
		}
	}
	return string(s), p[2+end:], true
}
