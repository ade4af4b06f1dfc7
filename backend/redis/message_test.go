package redis

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend"
)

func TestMessageRoundTrip(t *testing.T) {
	t.Parallel()
	b := &Backend{instanceID: "me"}
	tests := []struct {
		name string
		op   op
		keys []string
		want notice
	}{
		{"one key", opKeys, []string{"k"}, notice{from: "me", op: opKeys, keys: []string{"k"}}},
		{"binary keys", opKeys, []string{"\x00", "a\xffb", "", "{tag}"}, notice{from: "me", op: opKeys, keys: []string{"\x00", "a\xffb", "", "{tag}"}}},
		{"purge", opPurge, []string{"p/"}, notice{from: "me", op: opPurge, prefix: "p/"}},
		{"purge all", opPurge, []string{""}, notice{from: "me", op: opPurge, prefix: ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMessage(b.message(tt.op, tt.keys...))
			if err != nil {
				t.Fatalf("parseMessage = %v", err)
			}
			if got.from != tt.want.from || got.op != tt.want.op || got.prefix != tt.want.prefix || !slices.Equal(got.keys, tt.want.keys) {
				t.Fatalf("parseMessage = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestTagsMessageRoundTrip(t *testing.T) {
	t.Parallel()
	b := &Backend{instanceID: "me"}
	for _, at := range []time.Time{time.Unix(1700000000, 123456789), time.Unix(-5, 0), {}} {
		tags := []string{"user=42", "", "a\xffb"}
		n, err := parseMessage(b.tagsMessage(at, tags))
		if err != nil {
			t.Fatalf("parseMessage = %v", err)
		}
		if n.op != opTags || n.from != "me" || !slices.Equal(n.keys, tags) || !backend.MarkTime(n.at).Equal(at) {
			t.Fatalf("parseMessage = %+v, want tags %q at %v", n, tags, at)
		}
	}
	valid := b.tagsMessage(time.Unix(1, 2), []string{"a", "bc"})
	for i := range len(valid) {
		if n, err := parseMessage(valid[:i]); !errors.Is(err, errMalformed) {
			t.Errorf("parseMessage(%q) = %+v, %v; want an error wrapping errMalformed", valid[:i], n, err)
		}
	}
}

func TestParseMessageRejects(t *testing.T) {
	t.Parallel()
	valid := (&Backend{instanceID: "id"}).message(opKeys, "a", "bc")
	tests := []struct {
		name, payload string
	}{
		{"empty", ""},
		{"foreign", "hello, world"},
		{"version", "hbi\x02\x01\x00\x00"},
		{"op", "hbi\x01\x09\x00"},
		{"count lies", "hbi\x01\x01\x00\xff\x01"},
		{"trailing", valid + "x"},
		{"bad varint", "hbi\x01\x02\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"},
	}
	for i := range len(valid) {
		tests = append(tests, struct{ name, payload string }{"truncated", valid[:i]})
	}
	for _, tt := range tests {
		if n, err := parseMessage(tt.payload); !errors.Is(err, errMalformed) {
			t.Errorf("%s: parseMessage(%q) = %+v, %v; want an error wrapping errMalformed", tt.name, tt.payload, n, err)
		}
	}
}

func FuzzParseMessage(f *testing.F) {
	b := &Backend{instanceID: "fuzz"}
	f.Add(b.message(opKeys, "a", "b"))
	f.Add(b.message(opPurge, "p"))
	f.Add(b.tagsMessage(time.Unix(1, 2), []string{"user=42", "p"}))
	f.Add("hbi\x01\x01\x00\xff\x01")
	f.Fuzz(func(t *testing.T, payload string) {
		n, err := parseMessage(payload)
		if err != nil {
			return
		}
		// What parses re-encodes to a message that parses the same
		// (varints may come back shorter: the decoder accepts
		// non-canonical ones).
		again := (&Backend{instanceID: n.from}).message(opPurge, n.prefix)
		switch n.op {
		case opKeys:
			again = (&Backend{instanceID: n.from}).message(opKeys, n.keys...)
		case opTags:
			again = (&Backend{instanceID: n.from}).tagsMessage(backend.MarkTime(n.at), n.keys)
		}
		m, err := parseMessage(again)
		if err != nil || m.from != n.from || m.op != n.op || m.prefix != n.prefix || !slices.Equal(m.keys, n.keys) || m.at != n.at {
			t.Fatalf("parseMessage(%q) = %+v, re-encoded as %q, which parses as %+v, %v", payload, n, again, m, err)
		}
	})
}
