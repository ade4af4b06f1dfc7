package backendtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend"
)

// The concurrent case's size: a few thousand operations in all, so that it
// stays quick over a network.
const (
	concWorkers = 8
	concOps     = 250
	concKeys    = 16
)

// concEntry is the entry worker w writes under key at its step seq: the
// value names all three and has a length of its own, and Written and Keep
// encode w and seq too, so a value read with another entry's metadata, a
// value under the wrong key or a torn value is detected.
func concEntry(key string, w, seq int) backend.Entry {
	v := fmt.Appendf(nil, "%s|%d|%d|", key, w, seq)
	for j := range (w*31 + seq*7) % 301 {
		v = append(v, byte('a'+(w+seq+j)%26))
	}
	return backend.Entry{
		Value:   v,
		Written: start.Add(time.Duration(w)*time.Second + time.Duration(seq)),
		Stale:   start.Add(time.Hour),
		Expire:  start.Add(2 * time.Hour),
		Keep:    time.Duration(w*1000 + seq),
	}
}

// checkConc returns what is wrong with got, read under key, or "".
func checkConc(key string, got backend.Entry) string {
	f := strings.SplitN(string(got.Value), "|", 4)
	if len(f) != 4 {
		return fmt.Sprintf("malformed value %s", short(got.Value))
	}
	w, err1 := strconv.Atoi(f[1])
	seq, err2 := strconv.Atoi(f[2])
	if f[0] != key || err1 != nil || err2 != nil {
		return fmt.Sprintf("value %s was not written under this key", short(got.Value))
	}
	return diff(got, concEntry(key, w, seq))
}

func (s *suite) testConcurrent(t *testing.T) {
	e := s.open(t)
	keys := make([]string, concKeys)
	for i := range keys {
		keys[i] = "conc/" + strconv.Itoa(i)
	}
	var failures atomic.Int32
	fail := func(format string, args ...any) {
		if failures.Add(1) <= 5 {
			t.Errorf(format, args...)
		}
	}
	var wg sync.WaitGroup
	for w := range concWorkers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for seq := range concOps {
				if failures.Load() > 5 {
					return
				}
				key := keys[r.IntN(len(keys))]
				switch op := r.IntN(10); {
				case op < 5:
					got, ok, err := e.b.Get(e.ctx, key)
					if err != nil {
						fail("Get(%q) = %v, want nil error", key, err)
					} else if ok {
						if d := checkConc(key, got); d != "" {
							fail("Get(%q) during concurrent use: %s", key, d)
						}
					}
				case op < 9:
					if err := e.b.Set(e.ctx, key, concEntry(key, w, seq)); err != nil {
						fail("Set(%q) = %v, want nil", key, err)
					}
				default:
					if _, err := e.b.Delete(e.ctx, key); err != nil {
						fail("Delete(%q) = %v, want nil error", key, err)
					}
				}
			}
		})
	}
	wg.Wait()
	for _, key := range keys {
		if got, ok := e.get(key); ok {
			if d := checkConc(key, got); d != "" {
				t.Errorf("Get(%q) after concurrent use: %s", key, d)
			}
		}
	}
}

func (s *suite) testContextCanceled(t *testing.T) {
	ctxs := []struct {
		name string
		ctx  func(t *testing.T) context.Context
		err  error
	}{
		{"canceled", func(t *testing.T) context.Context {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			return ctx
		}, context.Canceled},
		{"deadline passed", func(t *testing.T) context.Context {
			ctx, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
			t.Cleanup(cancel)
			return ctx
		}, context.DeadlineExceeded},
	}
	for _, c := range ctxs {
		s.subtest(t, c.name, func(t *testing.T, e *env) {
			ctx := c.ctx(t)
			old, next, other := e.entry("old"), e.entry("new value"), e.entry("other")
			e.set("other", other)
			// check accepts nil or an error wrapping the context's.
			check := func(call string, err error) bool {
				t.Helper()
				if err != nil && !errors.Is(err, c.err) {
					t.Errorf("%s with a %s context = %v, want nil or an error wrapping %v", call, c.name, err, c.err)
				}
				return err == nil
			}

			e.set("k", old)
			var (
				got backend.Entry
				ok  bool
				err error
			)
			returns(t, "Get", func() { got, ok, err = e.b.Get(ctx, "k") })
			if check(`Get("k")`, err) {
				if !ok {
					t.Errorf(`Get("k") with a %s context: a miss with no error, want the entry or an error`, c.name)
				} else if d := diff(got, old); d != "" {
					t.Errorf(`Get("k") with a %s context: %s`, c.name, d)
				}
			}
			e.mustGet("k", old)

			// A composition may fail on one layer and succeed on the
			// other, so the call's result does not say which entry
			// stays: only that it is one of the two, whole.
			returns(t, "Set", func() { err = e.b.Set(ctx, "k", next) })
			check(`Set("k")`, err)
			got, ok = e.get("k")
			switch {
			case !ok:
				t.Fatalf(`Get("k") after a Set with a %s context: miss, want the old or the new entry`, c.name)
			case diff(got, next) != "" && diff(got, old) != "":
				t.Fatalf(`Get("k") after a Set with a %s context = %s, want the old or the new entry`, c.name, describe(got))
			}
			cur := got

			returns(t, "Delete", func() { _, err = e.b.Delete(ctx, "k") })
			check(`Delete("k")`, err)
			if got, ok = e.get("k"); ok && diff(got, cur) != "" {
				t.Fatalf(`Get("k") after a Delete with a %s context: %s`, c.name, diff(got, cur))
			}
			e.mustGet("other", other)
		})
	}
}

// testNilContext checks that a nil context works as context.Background.
func (s *suite) testNilContext(t *testing.T) {
	e := s.open(t)
	var nilCtx context.Context
	want := e.entry("v")
	var (
		setErr, getErr, delErr error
		got                    backend.Entry
		ok, deleted            bool
	)
	returns(t, "Set with a nil context", func() { setErr = e.b.Set(nilCtx, "k", want) })
	returns(t, "Get with a nil context", func() { got, ok, getErr = e.b.Get(nilCtx, "k") })
	if setErr != nil || getErr != nil || !ok {
		t.Fatalf("with a nil context: Set = %v; Get = _, %v, %v; want nil; ok, nil", setErr, ok, getErr)
	}
	if d := diff(got, want); d != "" {
		t.Fatalf("Get with a nil context: %s", d)
	}
	if l, ok := e.b.(backend.Lister); ok {
		var err error
		n := 0
		returns(t, "List with a nil context", func() {
			err = l.List(nilCtx, "", func(backend.KeyInfo) bool { n++; return true })
		})
		if err != nil && !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf(`List with a nil context = %v, want nil`, err)
		} else if err == nil && n != 1 {
			t.Errorf(`List with a nil context listed %d entries, want 1`, n)
		}
	}
	returns(t, "Delete with a nil context", func() { deleted, delErr = e.b.Delete(nilCtx, "k") })
	if delErr != nil || !deleted {
		t.Fatalf("Delete with a nil context = %v, %v; want true, nil", deleted, delErr)
	}
	e.mustMiss("k")
	if p, ok := e.b.(backend.Purger); ok {
		e.set("p", want)
		var (
			n   int
			err error
		)
		returns(t, "Purge with a nil context", func() { n, err = p.Purge(nilCtx, "") })
		if err != nil && !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf(`Purge with a nil context = %v, want nil`, err)
		} else if err == nil && n != 1 {
			t.Errorf(`Purge with a nil context = %d, want 1`, n)
		}
	}
}
