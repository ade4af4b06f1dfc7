package backendtest

import (
	"errors"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend"
)

func (s *suite) testGetSetDelete(t *testing.T) {
	e := s.open(t)
	e.mustMiss("k")
	want := e.entry("v1")
	e.set("k", want)
	e.mustGet("k", want)
	if !e.del("k") {
		t.Fatal(`Delete("k") after Set = false, want true`)
	}
	e.mustMiss("k")
}

func (s *suite) testOverwrite(t *testing.T) {
	e := s.open(t)
	first := e.entry("first value, the longer one")
	e.set("k", first)
	e.clock.Advance(1)
	second := e.entry("second")
	second.Keep = 90*time.Minute + 7
	second.Stale = time.Time{}
	e.set("k", second)
	e.mustGet("k", second)
	if !e.del("k") {
		t.Fatal(`Delete("k") = false, want true`)
	}
	e.mustMiss("k")
}

func (s *suite) testDeleteReportsExisted(t *testing.T) {
	e := s.open(t)
	if e.del("never-set") {
		t.Error(`Delete("never-set") = true, want false`)
	}
	e.set("k", e.entry("v"))
	e.set("other", e.entry("o"))
	if !e.del("k") {
		t.Error(`Delete("k") = false, want true`)
	}
	if e.del("k") {
		t.Error(`second Delete("k") = true, want false`)
	}
	e.mustGet("other", e.entry("o"))
}

func (s *suite) testInvalidKey(t *testing.T) {
	e := s.open(t)
	got, ok, err := e.b.Get(e.ctx, "")
	if !errors.Is(err, backend.ErrInvalidKey) {
		t.Errorf(`Get("") error = %v, want one wrapping backend.ErrInvalidKey`, err)
	}
	if ok {
		t.Errorf(`Get("") = %s, ok, want no entry`, describe(got))
	}
	if err := e.b.Set(e.ctx, "", e.entry("v")); !errors.Is(err, backend.ErrInvalidKey) {
		t.Errorf(`Set("") = %v, want an error wrapping backend.ErrInvalidKey`, err)
	}
	deleted, err := e.b.Delete(e.ctx, "")
	if !errors.Is(err, backend.ErrInvalidKey) {
		t.Errorf(`Delete("") error = %v, want one wrapping backend.ErrInvalidKey`, err)
	}
	if deleted {
		t.Error(`Delete("") reported a deletion`)
	}
}

// testBadInputKeepsEntries checks that calls the backend rejects leave what
// it holds untouched.
func (s *suite) testBadInputKeepsEntries(t *testing.T) {
	e := s.open(t)
	keys := []string{"a", "b", "a/b", "\x00"}
	for _, k := range keys {
		e.set(k, e.entry("value of "+k))
	}
	if err := e.b.Set(e.ctx, "", e.entry("bad")); err == nil {
		t.Error(`Set("") = nil, want an error`)
	}
	if _, _, err := e.b.Get(e.ctx, ""); err == nil {
		t.Error(`Get("") = nil error, want an error`)
	}
	if _, err := e.b.Delete(e.ctx, ""); err == nil {
		t.Error(`Delete("") = nil error, want an error`)
	}
	gone := e.entry("already gone")
	gone.Expire = e.clock.Now()
	gone.Keep = 0
	if err := e.b.Set(e.ctx, "c", gone); err != nil {
		t.Errorf(`Set("c") of an entry past its deadline = %v, want nil`, err)
	}
	for _, k := range keys {
		e.mustGet(k, e.entry("value of "+k))
	}
	e.mustMiss("c")
}
