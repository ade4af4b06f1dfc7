package bytesize

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Errors wrapped by [Parse]'s errors.
var (
	// ErrSyntax: the text is not a number with an optional known unit.
	ErrSyntax = errors.New("bytesize: invalid size")
	// ErrRange: the size is negative or does not fit in an int64.
	ErrRange = errors.New("bytesize: size out of range")
)

// maxInput bounds the text Parse looks at, so that a hostile input costs
// little.
const maxInput = 64

type unit struct {
	name string
	size int64
}

// units lists every accepted unit name (lower case) and its size. Format
// uses the first binary and decimal names of each power.
var units = []unit{
	{"", 1}, {"b", 1},
	{"kib", 1 << 10}, {"ki", 1 << 10}, {"kb", 1e3},
	{"mib", 1 << 20}, {"mi", 1 << 20}, {"mb", 1e6},
	{"gib", 1 << 30}, {"gi", 1 << 30}, {"gb", 1e9},
	{"tib", 1 << 40}, {"ti", 1 << 40}, {"tb", 1e12},
	{"pib", 1 << 50}, {"pi", 1 << 50}, {"pb", 1e15},
	{"eib", 1 << 60}, {"ei", 1 << 60}, {"eb", 1e18},
}

func lookupUnit(name string) (int64, bool) {
	name = strings.ToLower(name)
	for _, u := range units {
		if u.name == name {
			return u.size, true
		}
	}
	return 0, false
}

// Parse returns the number of bytes s stands for. Garbage, an unknown or
// ambiguous unit, a negative size and one above [math.MaxInt64] are
// errors wrapping [ErrSyntax] or [ErrRange].
func Parse(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("%w: empty", ErrSyntax)
	}
	if len(t) > maxInput {
		return 0, fmt.Errorf("%w: %q is too long", ErrSyntax, s)
	}
	if t[0] == '-' {
		return 0, fmt.Errorf("%w: %q is negative", ErrRange, s)
	}
	i := 0
	for i < len(t) && isDigit(t[i]) {
		i++
	}
	intPart := t[:i]
	var frac string
	if i < len(t) && t[i] == '.' {
		j := i + 1
		for j < len(t) && isDigit(t[j]) {
			j++
		}
		frac = t[i+1 : j]
		if frac == "" {
			return 0, fmt.Errorf("%w: %q: digits must follow the decimal point", ErrSyntax, s)
		}
		i = j
	}
	if intPart == "" {
		return 0, fmt.Errorf("%w: %q does not start with a number", ErrSyntax, s)
	}
	name := strings.TrimLeft(t[i:], " ")
	size, ok := lookupUnit(name)
	if !ok {
		if len(name) == 1 && strings.ContainsAny(name, "kKmMgGtTpPeE") {
			up := strings.ToUpper(name)
			return 0, fmt.Errorf("%w: %q: unit %q is ambiguous, write %sB (powers of 1000) or %siB (powers of 1024)", ErrSyntax, s, name, up, up)
		}
		return 0, fmt.Errorf("%w: %q: unknown unit %q (want B, KB, MB, GB, TB, PB, EB, KiB, MiB, GiB, TiB, PiB or EiB)", ErrSyntax, s, name)
	}
	if frac == "" && size == 1 {
		n, err := strconv.ParseInt(intPart, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: %q is larger than %d bytes", ErrRange, s, int64(math.MaxInt64))
		}
		return n, nil
	}
	// (int * 10^len(frac) + frac) * size / 10^len(frac), exactly.
	num, _ := new(big.Int).SetString(intPart+frac, 10)
	num.Mul(num, big.NewInt(size))
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(frac))), nil)
	num.Quo(num, den)
	if !num.IsInt64() {
		return 0, fmt.Errorf("%w: %q is larger than %d bytes", ErrRange, s, int64(math.MaxInt64))
	}
	return num.Int64(), nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// Format returns n in the shortest exact form Parse reads back, using the
// largest binary unit that divides n ("256MiB") or the largest decimal one
// ("64MB"), whichever is shorter (binary on a tie), or plain bytes
// ("1234") when neither divides it. Zero and negative sizes are written as
// plain integers.
func Format(n int64) string {
	best := strconv.FormatInt(n, 10)
	if n <= 0 {
		return best
	}
	binary := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	decimal := []string{"KB", "MB", "GB", "TB", "PB", "EB"}
	var bin, dec string
	for i := len(binary) - 1; i >= 0 && bin == ""; i-- {
		if size := int64(1) << (10 * (i + 1)); n%size == 0 {
			bin = strconv.FormatInt(n/size, 10) + binary[i]
		}
	}
	size := int64(1e18)
	for i := len(decimal) - 1; i >= 0 && dec == ""; i-- {
		if n%size == 0 {
			dec = strconv.FormatInt(n/size, 10) + decimal[i]
		}
		size /= 1000
	}
	if dec != "" && (bin == "" || len(dec) < len(bin)) {
		best = dec
	}
	if bin != "" && len(bin) <= len(best) {
		best = bin
	}
	return best
}
