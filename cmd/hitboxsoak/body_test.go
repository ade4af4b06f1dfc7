package main

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestBodyRoundTrip(t *testing.T) {
	t.Parallel()
	for _, size := range []int{0, 1, 4 << 10, 3 << 20} {
		body := makeBody("/large/3", 7, size)
		n, err := verifyBody("/large/3", bytes.NewReader(body))
		if err != nil || n != int64(len(body)) {
			t.Errorf("verifyBody(makeBody(size %d)) = %d, %v; want %d, nil", size, n, err, len(body))
		}
	}
	if a, b := makeBody("/hot/1", 1, 64), makeBody("/hot/1", 2, 64); bytes.Equal(a, b) {
		t.Error("two calls for one path gave the same body")
	}
}

func TestBodyCorrupt(t *testing.T) {
	t.Parallel()
	good := makeBody("/hot/1", 5, 1000)
	head := bytes.IndexByte(good, '\n') + 1
	flipped := bytes.Clone(good)
	flipped[head+500] ^= 1
	cases := []struct {
		name, path string
		body       []byte
		want       string
	}{
		{"payload byte flipped", "/hot/1", flipped, "sha256"},
		{"cut short, cleanly", "/hot/1", good[:len(good)-1], "payload of 999 bytes"},
		{"a byte too many", "/hot/1", append(bytes.Clone(good), 'x'), "payload of 1001 bytes"},
		{"another key's body", "/hot/2", good, "body of /hot/1 served for /hot/2"},
		{"empty", "/hot/1", nil, "without a header line"},
		{"no header", "/hot/1", []byte("hello\nworld"), "bad header line"},
		{"header only, cut", "/hot/1", good[:head-1], "without a header line"},
		{"long line", "/hot/1", bytes.Repeat([]byte("x"), 100<<10), "no header line"},
		{"bad size", "/hot/1", []byte("hitboxsoak path=/hot/1 call=1 size=-1 sha256=" + strings.Repeat("0", 64) + "\n"), "bad size"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := verifyBody(c.path, bytes.NewReader(c.body))
			var ce *CorruptError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("verifyBody = %v, want a *CorruptError saying %q", err, c.want)
			}
		})
	}
}

// TestBodyTransportError: a body whose read fails is a transport error,
// never reported as corrupt.
func TestBodyTransportError(t *testing.T) {
	t.Parallel()
	body := makeBody("/reset/1", 1, 64<<10)
	for _, cut := range []int{10, len(body) / 2} {
		r := io.MultiReader(bytes.NewReader(body[:cut]), iotest.ErrReader(io.ErrUnexpectedEOF))
		_, err := verifyBody("/reset/1", r)
		var ce *CorruptError
		if !errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &ce) {
			t.Errorf("verifyBody(cut at %d, then a read error) = %v, want io.ErrUnexpectedEOF", cut, err)
		}
	}
}
