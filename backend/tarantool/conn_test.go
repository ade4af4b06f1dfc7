package tarantool

import "testing"

func TestToUint32(t *testing.T) {
	for _, c := range []struct {
		v    any
		want uint32
		ok   bool
	}{
		{int8(5), 5, true},
		{int16(512), 512, true},
		{int32(1 << 20), 1 << 20, true},
		{int64(1<<32 - 1), 1<<32 - 1, true},
		{uint8(7), 7, true},
		{uint16(600), 600, true},
		{uint32(1 << 31), 1 << 31, true},
		{uint64(512), 512, true},
		{int8(0), 0, false},
		{int64(-1), 0, false},
		{uint64(0), 0, false},
		{int64(1 << 32), 0, false},
		{uint64(1 << 32), 0, false},
		{"512", 0, false},
		{nil, 0, false},
		{1.0, 0, false},
	} {
		got, ok := toUint32(c.v)
		if got != c.want || ok != c.ok {
			t.Errorf("toUint32(%#v) = %d, %v; want %d, %v", c.v, got, ok, c.want, c.ok)
		}
	}
}
