package main

import (
	"errors"
	"io"
	"math"
	"net/http"
	"testing"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	corruptErr := &CorruptError{What: "x"}
	cases := []struct {
		name    string
		err     error
		status  int
		bodyErr error
		want    errClass
	}{
		{"ok", nil, 200, nil, errNone},
		{"refused", errors.New("connection refused"), 0, nil, errTransport},
		{"200 cut", nil, 200, io.ErrUnexpectedEOF, errTransport},
		{"200 corrupt", nil, 200, corruptErr, errCorrupt},
		{"500", nil, 500, nil, err500},
		{"502", nil, 502, nil, err502},
		{"504", nil, 504, nil, err504},
		{"404", nil, 404, nil, errStatus},
		{"500 with a cut body is still a 500", nil, 500, io.ErrUnexpectedEOF, err500},
	}
	for _, c := range cases {
		if got := classify(c.err, c.status, c.bodyErr); got != c.want {
			t.Errorf("%s: classify(%v, %d, %v) = %v, want %v", c.name, c.err, c.status, c.bodyErr, got, c.want)
		}
	}
}

func TestRecordExpected(t *testing.T) {
	t.Parallel()
	var c counters
	c.record(kindFail, csMiss, err500, 10)       // the origin's deliberate 500
	c.record(kindHot, csMiss, err500, 10)        // nobody asked for that one
	c.record(kindReset, csNone, errTransport, 0) // a cut connection
	c.record(kindReset, csMiss, err502, 0)
	c.record(kindReset, csHit, errCorrupt, 5) // never expected
	c.record(kindHot, csHit, errNone, 100)
	s := c.snapshot()
	tot := s.total()
	if exp, unexp := tot.errors(); exp != 3 || unexp != 2 {
		t.Errorf("errors() = %d expected, %d unexpected; want 3, 2", exp, unexp)
	}
	if got := s[kindReset].Unexpected[errCorrupt]; got != 1 {
		t.Errorf("reset's corrupt bodies = %d, want 1 (unexpected)", got)
	}
	if tot.Requests != 6 || tot.Bytes != 125 {
		t.Errorf("requests, bytes = %d, %d; want 6, 125", tot.Requests, tot.Bytes)
	}
	if s[kindHot].Status[csHit] != 1 || s[kindHot].Status[csMiss] != 1 {
		t.Errorf("hot statuses = %v, want one HIT and one MISS", s[kindHot].Status)
	}
}

func TestHitRatio(t *testing.T) {
	t.Parallel()
	var tl tally
	if r := tl.hitRatio(); r != 0 {
		t.Errorf("empty hitRatio = %v, want 0", r)
	}
	tl.Status[csHit], tl.Status[csStale], tl.Status[csMiss], tl.Status[csNone] = 6, 2, 2, 90
	if r := tl.hitRatio(); math.Abs(r-0.8) > 1e-9 {
		t.Errorf("hitRatio = %v, want 0.8 (responses without a status do not count)", r)
	}
}

func TestSnapshotSub(t *testing.T) {
	t.Parallel()
	var c counters
	c.record(kindHot, csHit, errNone, 1)
	before := c.snapshot()
	c.record(kindHot, csMiss, errNone, 1)
	c.record(kindCold, csMiss, err504, 1)
	d := c.snapshot().sub(before)
	if d[kindHot].Requests != 1 || d[kindHot].Status[csHit] != 0 || d[kindHot].Status[csMiss] != 1 {
		t.Errorf("hot delta = %+v, want one MISS", d[kindHot])
	}
	if tot := d.total(); tot.Requests != 2 || tot.Unexpected[err504] != 1 || tot.hitRatio() != 0 {
		t.Errorf("total delta = %+v, want 2 requests, one unexpected 504, no hit", tot)
	}
}

func TestParseCacheStatus(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	for in, want := range map[string]cacheStatus{"HIT": csHit, "STALE": csStale, "MISS": csMiss, "": csNone, "hit": csNone} {
		h.Set("X-Cache-Status", in)
		if got := parseCacheStatus(h.Get("X-Cache-Status")); got != want {
			t.Errorf("parseCacheStatus(%q) = %v, want %v", in, got, want)
		}
	}
}
