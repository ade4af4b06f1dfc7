package backendtest

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hitbox-go/hitbox/backend"
)

func newTestFault(t *testing.T) (*Fault, *refStore) {
	t.Helper()
	inner := newRefStore(NewClock(start).Now, "")
	return NewFault(inner), inner
}

var faultEntry = backend.Entry{Value: []byte("v"), Written: start}

func TestFaultPassesThrough(t *testing.T) {
	f, inner := newTestFault(t)
	ctx := t.Context()
	if err := f.Set(ctx, "k", faultEntry); err != nil {
		t.Fatalf("Set = %v", err)
	}
	if _, ok, _ := inner.Get(ctx, "k"); !ok {
		t.Fatal("Set through the Fault did not reach the wrapped backend")
	}
	if got, ok, err := f.Get(ctx, "k"); err != nil || !ok || string(got.Value) != "v" {
		t.Fatalf("Get = %s, %v, %v; want \"v\", true, nil", describe(got), ok, err)
	}
	if _, _, err := f.Get(ctx, "missing"); err != nil {
		t.Fatalf(`Get("missing") = %v`, err)
	}
	if ok, err := f.Delete(ctx, "k"); err != nil || !ok {
		t.Fatalf("Delete = %v, %v; want true, nil", ok, err)
	}
	if g, s, d := f.Calls(); g != 2 || s != 1 || d != 1 {
		t.Fatalf("Calls() = %d, %d, %d; want 2, 1, 1", g, s, d)
	}
	if f.Unwrap() != backend.Backend(inner) {
		t.Fatal("Unwrap did not return the wrapped backend")
	}
}

func TestFaultFails(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name   string
		inject func(f *Fault, err error)
		call   func(ctx context.Context, f *Fault) error
		// reached reports whether the wrapped backend saw the call.
		reached func(ctx context.Context, inner *refStore) bool
	}{
		{
			name:   "get",
			inject: (*Fault).FailGet,
			call: func(ctx context.Context, f *Fault) error {
				_, ok, err := f.Get(ctx, "k")
				if ok && err != nil {
					return errors.New("Get reported a hit with an error")
				}
				return err
			},
		},
		{
			name:   "set",
			inject: (*Fault).FailSet,
			call:   func(ctx context.Context, f *Fault) error { return f.Set(ctx, "new", faultEntry) },
			reached: func(ctx context.Context, inner *refStore) bool {
				_, ok, _ := inner.Get(ctx, "new")
				return ok
			},
		},
		{
			name:   "delete",
			inject: (*Fault).FailDelete,
			call: func(ctx context.Context, f *Fault) error {
				_, err := f.Delete(ctx, "k")
				return err
			},
			reached: func(ctx context.Context, inner *refStore) bool {
				_, ok, _ := inner.Get(ctx, "k")
				return !ok
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, inner := newTestFault(t)
			ctx := t.Context()
			if err := inner.Set(ctx, "k", faultEntry); err != nil {
				t.Fatal(err)
			}
			tt.inject(f, errBoom)
			if err := tt.call(ctx, f); !errors.Is(err, errBoom) {
				t.Fatalf("with the failure injected: %v, want %v", err, errBoom)
			}
			if tt.reached != nil && tt.reached(ctx, inner) {
				t.Fatal("the failed call reached the wrapped backend")
			}
			tt.inject(f, nil)
			if err := tt.call(ctx, f); err != nil {
				t.Fatalf("after clearing the failure: %v, want nil", err)
			}
			if tt.reached != nil && !tt.reached(ctx, inner) {
				t.Fatal("after clearing the failure, the call did not reach the wrapped backend")
			}
		})
	}
	// Each failure applies to its own method only.
	f, _ := newTestFault(t)
	f.FailGet(errBoom)
	if err := f.Set(t.Context(), "k", faultEntry); err != nil {
		t.Fatalf("Set with only Get failing = %v", err)
	}
	if _, err := f.Delete(t.Context(), "k"); err != nil {
		t.Fatalf("Delete with only Get failing = %v", err)
	}
	if g, s, d := f.Calls(); g != 0 || s != 1 || d != 1 {
		t.Fatalf("Calls() = %d, %d, %d; want 0, 1, 1", g, s, d)
	}
}

func TestFaultDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, _ := newTestFault(t)
		f.Delay(time.Second)
		t0 := time.Now()
		if err := f.Set(t.Context(), "k", faultEntry); err != nil {
			t.Fatalf("Set = %v", err)
		}
		if d := time.Since(t0); d != time.Second {
			t.Fatalf("Set with a 1s delay took %v", d)
		}

		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		t0 = time.Now()
		_, ok, err := f.Get(ctx, "k")
		if !errors.Is(err, context.DeadlineExceeded) || ok {
			t.Fatalf("Get with a 300ms deadline and a 1s delay = %v, %v; want false, DeadlineExceeded", ok, err)
		}
		if d := time.Since(t0); d != 300*time.Millisecond {
			t.Fatalf("Get returned after %v, want 300ms", d)
		}

		f.Delay(0)
		t0 = time.Now()
		if _, err := f.Delete(t.Context(), "k"); err != nil || time.Since(t0) != 0 {
			t.Fatalf("Delete after clearing the delay = %v after %v; want nil at once", err, time.Since(t0))
		}
	})
}

func TestFaultHang(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, _ := newTestFault(t)
		f.Hang(true)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- f.Set(ctx, "k", faultEntry) }()
		synctest.Wait() // the Set is blocked
		select {
		case err := <-done:
			t.Fatalf("a hanging Set returned %v before its context ended", err)
		default:
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("hanging Set after cancel = %v, want context.Canceled", err)
		}

		// Hang(false) releases the calls already blocked.
		go func() { done <- f.Set(t.Context(), "k", faultEntry) }()
		synctest.Wait()
		f.Hang(false)
		if err := <-done; err != nil {
			t.Fatalf("Set released by Hang(false) = %v, want nil", err)
		}
		if _, ok, err := f.Get(t.Context(), "k"); !ok || err != nil {
			t.Fatalf("Get after the released Set = %v, %v; want true, nil", ok, err)
		}
		f.Hang(false) // idempotent
		if g, s, _ := f.Calls(); g != 1 || s != 2 {
			t.Fatalf("Calls() = %d gets, %d sets; want 1, 2", g, s)
		}
	})
}

func TestFaultNilContext(t *testing.T) {
	f, _ := newTestFault(t)
	f.Delay(time.Nanosecond)
	var nilCtx context.Context
	if err := f.Set(nilCtx, "k", faultEntry); err != nil {
		t.Fatalf("Set with a nil context = %v", err)
	}
	if _, ok, err := f.Get(nilCtx, "k"); !ok || err != nil {
		t.Fatalf("Get with a nil context = %v, %v", ok, err)
	}
}

func TestFaultCapabilities(t *testing.T) {
	ctx := t.Context()
	f, _ := newTestFault(t)
	if err := f.Set(ctx, "a/1", faultEntry); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := f.List(ctx, "a/", func(backend.KeyInfo) bool { n++; return true }); err != nil || n != 1 {
		t.Fatalf("List = %v with %d entries; want nil with 1", err, n)
	}
	if got := f.Stats(); got.Label != "ref" || got.Entries != 1 {
		t.Fatalf("Stats() = %+v, want the wrapped backend's", got)
	}
	if got := f.Label(); got != "ref" {
		t.Fatalf("Label() = %q, want %q", got, "ref")
	}
	if got, err := f.Purge(ctx, ""); err != nil || got != 1 {
		t.Fatalf("Purge = %d, %v; want 1, nil", got, err)
	}

	plain := NewFault(bare{newRefStore(NewClock(start).Now, "")})
	if err := plain.List(ctx, "", func(backend.KeyInfo) bool { return true }); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("List over a backend without it = %v, want errors.ErrUnsupported", err)
	}
	if _, err := plain.Purge(ctx, ""); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Purge over a backend without it = %v, want errors.ErrUnsupported", err)
	}
	if got := plain.Label(); got != "" {
		t.Errorf("Label() over an unlabeled backend = %q, want empty", got)
	}
	if got := plain.Stats(); got.Entries != -1 || got.Bytes != -1 {
		t.Errorf("Stats() over a backend without stats = %+v, want unknown sizes", got)
	}
}

func TestClock(t *testing.T) {
	c := NewClock(start)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("Now() = %v, want %v", got, start)
	}
	if got := c.Advance(time.Minute); !got.Equal(start.Add(time.Minute)) || !c.Now().Equal(got) {
		t.Fatalf("Advance(1m) = %v, Now() = %v; want %v", got, c.Now(), start.Add(time.Minute))
	}
	c.Set(start.Add(-time.Hour))
	if got := c.Now(); !got.Equal(start.Add(-time.Hour)) {
		t.Fatalf("after Set: Now() = %v, want %v", got, start.Add(-time.Hour))
	}
	var zero Clock
	if !zero.Now().IsZero() {
		t.Fatalf("zero Clock reads %v, want the zero time", zero.Now())
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 1000 {
			c.Advance(time.Nanosecond)
		}
	}()
	for range 1000 {
		_ = c.Now()
	}
	<-done
	if got := c.Now(); !got.Equal(start.Add(-time.Hour + 1000)) {
		t.Fatalf("after concurrent Advances: Now() = %v, want %v", got, start.Add(-time.Hour+1000))
	}
}

// TestFaultTags checks that a Fault forwards the tag calls, fails them with
// the injected Set (invalidate) and Get (read) errors, and reports a
// wrapped backend without marks as never invalidated.
func TestFaultTags(t *testing.T) {
	f, inner := newTestFault(t)
	ctx := t.Context()
	if err := f.InvalidateTags(ctx, []string{"a"}, start); err != nil {
		t.Fatalf("InvalidateTags = %v", err)
	}
	if at, _ := inner.TagsInvalidated(ctx, []string{"a"}); !at.Equal(start) {
		t.Fatalf("the wrapped backend's mark = %v, want %v", at, start)
	}
	if at, err := f.TagsInvalidated(ctx, []string{"a"}); err != nil || !at.Equal(start) {
		t.Fatalf("TagsInvalidated = %v, %v; want %v", at, err, start)
	}
	boom := errors.New("boom")
	f.FailSet(boom)
	if err := f.InvalidateTags(ctx, []string{"a"}, start); !errors.Is(err, boom) {
		t.Errorf("InvalidateTags with a Set failure = %v, want %v", err, boom)
	}
	f.FailGet(boom)
	if _, err := f.TagsInvalidated(ctx, []string{"a"}); !errors.Is(err, boom) {
		t.Errorf("TagsInvalidated with a Get failure = %v, want %v", err, boom)
	}
	bareFault := NewFault(bare{inner})
	if err := bareFault.InvalidateTags(ctx, []string{"a"}, start); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("InvalidateTags around a backend without marks = %v, want ErrUnsupported", err)
	}
	if at, err := bareFault.TagsInvalidated(ctx, []string{"a"}); err != nil || !at.IsZero() {
		t.Errorf("TagsInvalidated around a backend without marks = %v, %v; want the zero time", at, err)
	}
}
