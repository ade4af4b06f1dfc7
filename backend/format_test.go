package backend

import (
	"strings"
	"testing"
	"time"
)

func TestParseFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    Format
		wantErr bool
	}{
		{name: "json", in: "Json", want: FormatJSON},
		{name: "json upper", in: "JSON", want: FormatJSON},
		{name: "msgpack", in: "MsgPack", want: FormatMsgPack},
		{name: "msgpack lower", in: "msgpack", want: FormatMsgPack},
		{name: "binary", in: "Binary", want: FormatBinary},
		{name: "hitbox bincode", in: "Bincode", want: FormatBinary},
		{name: "hitbox rkyv", in: "rkyv", want: FormatBinary},
		{name: "empty", in: "", wantErr: true},
		{name: "unknown", in: "Protobuf", wantErr: true},
		{name: "padded", in: " Json", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseFormat(tt.in)
			if tt.wantErr {
				if err == nil || !strings.HasPrefix(err.Error(), "backend: ") {
					t.Fatalf("ParseFormat(%q) = %v, %v; want a backend: error", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseFormat(%q) = %v, %v; want %v, nil", tt.in, got, err, tt.want)
			}
			// The config name round-trips through String.
			if back, err := ParseFormat(got.String()); err != nil || back != got {
				t.Fatalf("ParseFormat(%q.String()) = %v, %v; want %v", got, back, err, got)
			}
		})
	}
}

func TestFormatString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		f    Format
		want string
	}{
		{FormatJSON, "Json"},
		{FormatMsgPack, "MsgPack"},
		{FormatBinary, "Binary"},
		{0, "Format(0)"},
		{9, "Format(9)"},
	}
	for _, tt := range tests {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("Format(%d).String() = %q, want %q", int(tt.f), got, tt.want)
		}
	}
}

// TestJSONReadable checks that the JSON body is readable: text values as
// JSON strings without HTML escaping, binary values as base64 with a marker,
// times in RFC 3339.
func TestJSONReadable(t *testing.T) {
	t.Parallel()
	written := time.Date(2025, 3, 4, 5, 6, 7, 89, time.UTC)
	tests := []struct {
		name  string
		e     Entry
		wants []string
		nots  []string
	}{
		{
			name:  "text",
			e:     Entry{Value: []byte(`<p>héllo & "bye"</p>`), Written: written, Keep: 90 * time.Second},
			wants: []string{`"value":"<p>héllo & \"bye\"</p>"`, `"written":"2025-03-04T05:06:07.000000089Z"`, `"keep":"1m30s"`},
			nots:  []string{`"encoding"`, `"stale"`, `"expire"`, `\u003c`},
		},
		{
			name:  "binary",
			e:     Entry{Value: []byte{0xff, 0xfe, 0x00}},
			wants: []string{`"encoding":"base64"`, `"value":"//4A"`},
			nots:  []string{`"written"`, `"keep"`},
		},
		{
			name:  "control characters",
			e:     Entry{Value: []byte("nul\x00here")},
			wants: []string{`"encoding":"base64"`, `"value":"bnVsAGhlcmU="`},
		},
		{
			name:  "delete character",
			e:     Entry{Value: []byte("del\x7f")},
			wants: []string{`"encoding":"base64"`},
		},
		{
			name:  "whitespace is text",
			e:     Entry{Value: []byte("line 1\r\n\tline 2\n")},
			wants: []string{`"value":"line 1\r\n\tline 2\n"`},
			nots:  []string{`"encoding"`},
		},
		{
			name:  "empty",
			e:     Entry{Value: []byte{}},
			wants: []string{`"value":""`},
		},
		{
			name: "nil",
			e:    Entry{},
			nots: []string{`"value"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := Codec{}.Encode(nil, tt.e)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			body := string(b[headerSize:])
			for _, w := range tt.wants {
				if !strings.Contains(body, w) {
					t.Errorf("body %s lacks %s", body, w)
				}
			}
			for _, n := range tt.nots {
				if strings.Contains(body, n) {
					t.Errorf("body %s has %s", body, n)
				}
			}
		})
	}
}

func TestJSONYearOutOfRange(t *testing.T) {
	t.Parallel()
	e := Entry{Value: []byte("x"), Expire: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	dst := []byte("prefix")
	got, err := Codec{}.Encode(dst, e)
	if err == nil {
		t.Fatalf("Encode(year 10000 as JSON) = nil error, want one")
	}
	if string(got) != "prefix" {
		t.Fatalf("Encode failed but returned %q, want dst unchanged", got)
	}
	// The binary formats hold any time.
	for _, f := range []Format{FormatMsgPack, FormatBinary} {
		b, err := Codec{Format: f}.Encode(nil, e)
		if err != nil {
			t.Fatalf("%v: Encode: %v", f, err)
		}
		d, err := Codec{}.Decode(b)
		if err != nil || !d.Expire.Equal(e.Expire) {
			t.Fatalf("%v: Decode = %v, %v; want expire %v", f, d.Expire, err, e.Expire)
		}
	}
}
