package bytesize

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int64
	}{
		{"0", 0},
		{"4096", 4096},
		{" 4096 ", 4096},
		{"12B", 12},
		{"1KiB", 1024},
		{"1Ki", 1024},
		{"1kb", 1000},
		{"1KB", 1000},
		{"1kB", 1000},
		{"256MiB", 256 << 20},
		{"256 MiB", 256 << 20},
		{"256mib", 256 << 20},
		{"64MB", 64e6},
		{"1.5GiB", 3 << 29},
		{"1.5KB", 1500},
		{"0.1MiB", 104857}, // 104857.6, rounded down
		{"1.0000001KiB", 1024},
		{"2TiB", 2 << 40},
		{"3PB", 3e15},
		{"7EiB", 7 << 60},
		{"9223372036854775807", math.MaxInt64},
		{"9223372036854775807B", math.MaxInt64},
		{"9EB", 9e18},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tt.in)
			if err != nil || got != tt.want {
				t.Errorf("Parse(%q) = %d, %v; want %d, nil", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     error
		text     string
	}{
		{"empty", "", ErrSyntax, "empty"},
		{"blank", "   ", ErrSyntax, "empty"},
		{"word", "lots", ErrSyntax, "does not start with a number"},
		{"negative", "-1", ErrRange, "negative"},
		{"negative unit", "-1MiB", ErrRange, "negative"},
		{"plus", "+1", ErrSyntax, "does not start"},
		{"unknown unit", "12XB", ErrSyntax, `unknown unit "XB"`},
		{"ambiguous", "256M", ErrSyntax, "ambiguous"},
		{"ambiguous lower", "1g", ErrSyntax, "ambiguous"},
		{"bare point", "1.MiB", ErrSyntax, "digits must follow"},
		{"leading point", ".5MiB", ErrSyntax, "does not start"},
		{"two points", "1.2.3", ErrSyntax, "unknown unit"},
		{"exponent", "1e6", ErrSyntax, "unknown unit"},
		{"overflow", "9223372036854775808", ErrRange, "larger"},
		{"overflow unit", "8EiB", ErrRange, "larger"},
		{"overflow huge", "99999999999999999999999GiB", ErrRange, "larger"},
		{"too long", strings.Repeat("1", 65), ErrSyntax, "too long"},
		{"trailing garbage", "10MiB!", ErrSyntax, "unknown unit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tt.in)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.text) {
				t.Errorf("Parse(%q) = %d, %v; want an error wrapping %v containing %q", tt.in, got, err, tt.want, tt.text)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0"},
		{-5, "-5"},
		{1, "1"},
		{1000, "1KB"},
		{1024, "1KiB"},
		{1536, "1536"},
		{3 << 29, "1536MiB"},
		{256 << 20, "256MiB"},
		{64e6, "64MB"},
		{1 << 60, "1EiB"},
		{math.MaxInt64, "9223372036854775807"},
	}
	for _, tt := range tests {
		if got := Format(tt.in); got != tt.want {
			t.Errorf("Format(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"0", "256MiB", "64MB", "1.5GiB", "-1", "8EiB", "1.KB", "12 kib", "9223372036854775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrRange) {
				t.Fatalf("Parse(%q): error %v wraps neither ErrSyntax nor ErrRange", s, err)
			}
			return
		}
		if n < 0 {
			t.Fatalf("Parse(%q) = %d, negative", s, n)
		}
		back, err := Parse(Format(n))
		if err != nil || back != n {
			t.Fatalf("Parse(Format(%d)) = %d, %v (Format: %q)", n, back, err, Format(n))
		}
	})
}

func FuzzFormat(f *testing.F) {
	for _, n := range []int64{0, 1, 1000, 1024, 1 << 62, math.MaxInt64} {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, n int64) {
		if n < 0 {
			return
		}
		got, err := Parse(Format(n))
		if err != nil || got != n {
			t.Fatalf("Parse(Format(%d)) = %d, %v (Format: %q)", n, got, err, Format(n))
		}
	})
}
