package backend

import (
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// FuzzJSONFastPath checks that whatever the JSON fast path accepts (as
// decodeJSON calls it: on valid UTF-8), encoding/json reads the same way.
func FuzzJSONFastPath(f *testing.F) {
	for _, e := range []Entry{
		{}, {Value: []byte(`{"a":"<b&c>","d":"e\\f"}`), Written: time.Unix(1, 2), Keep: 3},
		{Value: []byte("t\n\"q\""), Tags: []string{"a=1", "é"}},
	} {
		b, err := appendJSON(nil, e)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"value":"\u00e9\/\b\f\r\t"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		fast, ok := parseJSONFast(b)
		if !ok || !utf8.Valid(b) {
			return
		}
		var slow jsonEntry
		if err := json.Unmarshal(b, &slow); err != nil {
			t.Fatalf("fast path accepted %q, which encoding/json refuses: %v", b, err)
		}
		if !cmp.Equal(fast, slow) {
			t.Fatalf("fast path read %q as %+v, encoding/json as %+v", b, fast, slow)
		}
	})
}
