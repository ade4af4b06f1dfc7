package main

import "testing"

func TestPathRoundTrip(t *testing.T) {
	t.Parallel()
	for k := range numKinds {
		for _, id := range []int{0, specs[k].keys - 1} {
			gk, gid, ok := parsePath(k.path(id))
			if !ok || gk != k || gid != id {
				t.Errorf("parsePath(%q) = %v, %d, %v; want %v, %d, true", k.path(id), gk, gid, ok, k, id)
			}
		}
	}
	for _, bad := range []string{"/", "/hot", "/hot/", "/hot/x", "/hot/-1", "/hot/64", "/nope/1"} {
		if _, _, ok := parsePath(bad); ok {
			t.Errorf("parsePath(%q) accepted", bad)
		}
	}
}

// TestSizes: large bodies span 1–4 MiB, huge ones are all above the
// per-entry limit, the others well below it.
func TestSizes(t *testing.T) {
	t.Parallel()
	for k := range numKinds {
		for id := range min(specs[k].keys, 100) {
			n := k.size(id)
			switch k {
			case kindLarge:
				if n < 1<<20 || n > 4<<20 {
					t.Errorf("%v %d: %d bytes, want 1–4 MiB", k, id, n)
				}
			case kindHuge:
				if n <= entryLimit {
					t.Errorf("%v %d: %d bytes, want above %d", k, id, n, entryLimit)
				}
			default:
				if n <= 0 || n > 1<<20 {
					t.Errorf("%v %d: %d bytes, want 1 byte to 1 MiB", k, id, n)
				}
			}
		}
	}
	if l := kindLarge.size(0); l != 1<<20 {
		t.Errorf("the smallest large body is %d bytes, want 1 MiB", l)
	}
	if l := kindLarge.size(specs[kindLarge].keys - 1); l != 4<<20 {
		t.Errorf("the largest large body is %d bytes, want 4 MiB", l)
	}
}
