package httpcache

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCodecRoundTrip(t *testing.T) {
	t.Parallel()
	written := time.Date(2025, 3, 4, 5, 6, 7, 8, time.UTC)
	tests := []struct {
		name    string
		status  int
		header  http.Header
		body    []byte
		written time.Time
		want    http.Header // nil: header
	}{
		{name: "empty", status: 200, header: http.Header{}, want: http.Header{}},
		{name: "zero time", status: 204, header: http.Header{"X-A": {"1"}}},
		{
			name: "values", status: 404, written: written, body: []byte("not found"),
			header: http.Header{"Content-Type": {"text/plain"}, "Vary": {"Accept", "Origin"}, "X-Empty": {""}},
		},
		{
			name: "nil value kept", status: 200,
			header: http.Header{"Content-Type": nil},
		},
		{name: "binary body", status: 200, body: []byte{0, 1, 2, 255, 0}, header: http.Header{}},
		{
			name: "hop-by-hop dropped", status: 200, written: written,
			header: http.Header{
				"Connection": {"keep-alive, X-Private"}, "X-Private": {"p"}, "Keep-Alive": {"timeout=5"},
				"Proxy-Authenticate": {"Basic"}, "Proxy-Authorization": {"Basic x"}, "Proxy-Connection": {"close"},
				"Te": {"trailers"}, "Trailer": {"X-T"}, "Transfer-Encoding": {"chunked"}, "Upgrade": {"h2c"},
				"X-Cache-Status": {"HIT"}, "Cache-Status": {"other"}, "Age": {"5"},
				"Trailer:X-T": {"t"}, "Set-Cookie": {"a=1"}, "X-Keep": {"yes"},
			},
			want: http.Header{"Set-Cookie": {"a=1"}, "X-Keep": {"yes"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := encode(tt.status, tt.header, tt.body, tt.written)
			got, err := decode(b)
			if err != nil {
				t.Fatalf("decode(encode(...)) error: %v", err)
			}
			want := tt.want
			if want == nil {
				want = tt.header
			}
			if got.status != tt.status {
				t.Errorf("status = %d, want %d", got.status, tt.status)
			}
			if diff := cmp.Diff(want, got.header); diff != "" {
				t.Errorf("header (-want +got):\n%s", diff)
			}
			if !bytes.Equal(got.body, tt.body) {
				t.Errorf("body = %q, want %q", got.body, tt.body)
			}
			if !got.written.Equal(tt.written) {
				t.Errorf("written = %v, want %v", got.written, tt.written)
			}
			if again := encode(got.status, got.header, got.body, got.written); !bytes.Equal(again, b) {
				t.Errorf("re-encoding differs:\n got %q\nwant %q", again, b)
			}
		})
	}
}

func TestCodecRejects(t *testing.T) {
	t.Parallel()
	good := encode(200, http.Header{"A": {"1"}, "B": {"2"}}, []byte("body"), time.Unix(1, 0))
	tests := []struct {
		name string
		b    []byte
	}{
		{"nil", nil},
		{"magic only", []byte("hc")},
		{"bad magic", append([]byte("xx"), good[2:]...)},
		{"future version", append([]byte("hc\x02"), good[3:]...)},
		{"truncated", good[:len(good)-1]},
		{"trailing", append(bytes.Clone(good), 0)},
		{"status 99", []byte("hc\x01\x63\x00\x00\x00")},
		{"status 1000", []byte("hc\x01\xe8\x07\x00\x00\x00")},
		{"bad time flag", []byte("hc\x01\xc8\x01\x02\x00\x00")},
		{"non-minimal varint", []byte("hc\x01\xc8\x81\x00\x00\x00\x00")},
		{"huge header count", []byte("hc\x01\xc8\x01\x00\xff\xff\xff\xff\x0f")},
		{"huge body length", []byte("hc\x01\xc8\x01\x00\x00\xff\xff\x03")},
		{"empty key", []byte("hc\x01\xc8\x01\x00\x01\x00\x00\x00")},
		{"keys out of order", []byte("hc\x01\xc8\x01\x00\x02\x01B\x00\x01A\x00\x00")},
		{"duplicate keys", []byte("hc\x01\xc8\x01\x00\x02\x01A\x00\x01A\x00\x00")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := parse(tt.b); !errors.Is(err, errCorrupt) {
				t.Errorf("parse(%q) error = %v, want errCorrupt", tt.b, err)
			}
		})
	}
	if _, err := parse(good); err != nil {
		t.Fatalf("parse(good) = %v", err)
	}
}

func TestFillReplacesAndKeeps(t *testing.T) {
	t.Parallel()
	v, err := parse(encode(200, http.Header{"Vary": {"Accept"}, "X-New": {"n"}}, nil, time.Time{}))
	if err != nil {
		t.Fatal(err)
	}
	dst := http.Header{"Vary": {"Origin"}, "X-Outer": {"o"}}
	spare := v.fill(dst, 3)
	if len(spare) != 3 {
		t.Errorf("spare has %d strings, want 3", len(spare))
	}
	want := http.Header{"Vary": {"Accept"}, "X-New": {"n"}, "X-Outer": {"o"}}
	if diff := cmp.Diff(want, dst); diff != "" {
		t.Errorf("filled header (-want +got):\n%s", diff)
	}
	// Appending to one value must not clobber another.
	dst["Vary"] = append(dst["Vary"], "More")
	if dst["X-New"][0] != "n" {
		t.Errorf("append to Vary changed X-New to %q", dst["X-New"][0])
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(encode(200, http.Header{"Content-Type": {"text/plain"}, "Vary": {"A", "B"}}, []byte("hello"), time.Unix(5, 6)))
	f.Add(encode(404, http.Header{}, nil, time.Time{}))
	f.Add([]byte("hc\x01"))
	f.Add([]byte(strings.Repeat("\xff", 20)))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := parse(b)
		if err != nil {
			if !errors.Is(err, errCorrupt) {
				t.Fatalf("parse error %v does not wrap errCorrupt", err)
			}
			return
		}
		h := make(http.Header)
		v.fill(h, 3)
		// Every accepted string is canonical: it re-encodes to itself.
		if again := encode(v.status, h, v.body, v.written); !bytes.Equal(again, b) {
			// storedKeys drops hop-by-hop and status headers: an
			// accepted input holding them does not re-encode.
			for k := range h {
				if len(storedKeys(http.Header{k: nil})) == 0 {
					return
				}
			}
			if _, hasConn := h["Connection"]; hasConn {
				return
			}
			t.Fatalf("re-encoding differs:\n got %q\nwant %q", again, b)
		}
	})
}
