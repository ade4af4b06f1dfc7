package composition_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/backendtest"
	"github.com/hitbox-go/hitbox/composition"
)

func TestList(t *testing.T) {
	now := time.Now()
	s1, s2 := newStore("s1", nil), newStore("s2", nil)
	short, long := entry("short", now), entry("long", now)
	long.Expire = now.Add(5 * time.Hour)
	s1.put("p/both-l1-longer", long)
	s2.put("p/both-l1-longer", short)
	s1.put("p/both-l2-longer", short)
	s2.put("p/both-l2-longer", long)
	s1.put("p/l1", short)
	s2.put("p/l2", short)
	s2.put("q/other", short)

	tests := []struct {
		name    string
		l1, l2  backend.Backend
		want    []string
		wantErr error
	}{
		{"both list", s1, s2, []string{"p/both-l1-longer", "p/both-l2-longer", "p/l1", "p/l2"}, nil},
		{"only l1 lists", s1, bare{s2}, []string{"p/both-l1-longer", "p/both-l2-longer", "p/l1"}, nil},
		{"only l2 lists", bare{s1}, s2, []string{"p/both-l1-longer", "p/both-l2-longer", "p/l2"}, nil},
		{"neither lists", bare{s1}, bare{s2}, nil, errors.ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustNew(t, tt.l1, tt.l2, composition.Options{})
			got := map[string]backend.KeyInfo{}
			err := c.List(t.Context(), "p/", func(k backend.KeyInfo) bool {
				if _, dup := got[k.Key]; dup {
					t.Errorf("List reported %q twice", k.Key)
				}
				got[k.Key] = k
				return true
			})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("List = %v, want %v", err, tt.wantErr)
			}
			if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, tt.want) {
				t.Errorf("List listed %q, want %q", keys, tt.want)
			}
			for k, info := range got {
				if k == "p/both-l1-longer" || k == "p/both-l2-longer" {
					if !info.Expire.Equal(long.Expire) && len(tt.want) == 4 {
						t.Errorf("List: %q has Expire %v, want the later %v", k, info.Expire, long.Expire)
					}
				}
			}
		})
	}

	t.Run("stops when fn returns false", func(t *testing.T) {
		c := mustNew(t, s1, s2, composition.Options{})
		calls := 0
		if err := c.List(t.Context(), "", func(backend.KeyInfo) bool { calls++; return false }); err != nil || calls != 1 {
			t.Errorf("List with fn returning false = %v after %d calls, want nil after 1", err, calls)
		}
	})
}

// failingLister fails its List.
type failingLister struct {
	*store
	err error
}

func (f failingLister) List(context.Context, string, func(backend.KeyInfo) bool) error { return f.err }

func TestListLayerFails(t *testing.T) {
	s2 := newStore("s2", nil)
	s2.put("k", entry("v", time.Now()))
	c := mustNew(t, failingLister{newStore("s1", nil), errL1}, s2, composition.Options{})
	var keys []string
	err := c.List(t.Context(), "", func(k backend.KeyInfo) bool { keys = append(keys, k.Key); return true })
	wantLayersErr(t, "List", err, []string{"l1"}, errL1)
	if !slices.Equal(keys, []string{"k"}) {
		t.Errorf("List with L1 failing listed %q, want L2's [k]", keys)
	}
}

func TestPurge(t *testing.T) {
	now := time.Now()
	fill := func(s *store, keys ...string) *store {
		for _, k := range keys {
			s.put(k, entry("v", now))
		}
		return s
	}
	tests := []struct {
		name    string
		l1, l2  func() (backend.Backend, *store)
		want    int
		wantErr error
	}{
		{
			"both purge",
			func() (backend.Backend, *store) { s := fill(newStore("s1", nil), "p/1", "q/1"); return s, s },
			func() (backend.Backend, *store) { s := fill(newStore("s2", nil), "p/1", "p/2", "q/1"); return s, s },
			2, nil,
		},
		{
			"l2 lists and deletes",
			func() (backend.Backend, *store) { s := fill(newStore("s1", nil), "p/1", "q/1"); return s, s },
			func() (backend.Backend, *store) {
				s := fill(newStore("s2", nil), "p/1", "p/2", "p/3", "q/1")
				return listerOnly{s}, s
			},
			3, nil,
		},
		{
			"l1 cannot purge nor list",
			func() (backend.Backend, *store) { s := fill(newStore("s1", nil), "p/1"); return bare{s}, nil },
			func() (backend.Backend, *store) { s := fill(newStore("s2", nil), "p/1", "p/2", "q/1"); return s, s },
			2, errors.ErrUnsupported,
		},
		{
			"neither can",
			func() (backend.Backend, *store) { return bare{newStore("s1", nil)}, nil },
			func() (backend.Backend, *store) { return bare{newStore("s2", nil)}, nil },
			0, errors.ErrUnsupported,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b1, s1 := tt.l1()
			b2, s2 := tt.l2()
			c := mustNew(t, b1, b2, composition.Options{})
			n, err := c.Purge(t.Context(), "p/")
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("Purge = %d, %v; want error %v", n, err, tt.wantErr)
			}
			if n != tt.want {
				t.Errorf("Purge = %d, want %d", n, tt.want)
			}
			for _, s := range []*store{s1, s2} {
				if s == nil {
					continue
				}
				if s.has("p/1") || !s.has("q/1") {
					t.Errorf("after Purge(p/): %s holds p/1 = %v, q/1 = %v; want false, true", s.name, s.has("p/1"), s.has("q/1"))
				}
			}
		})
	}
}

// listerOnly exposes Get, Set, Delete and List of a store, not Purge.
type listerOnly struct{ s *store }

func (l listerOnly) Get(ctx context.Context, k string) (backend.Entry, bool, error) {
	return l.s.Get(ctx, k)
}
func (l listerOnly) Set(ctx context.Context, k string, e backend.Entry) error {
	return l.s.Set(ctx, k, e)
}
func (l listerOnly) Delete(ctx context.Context, k string) (bool, error) { return l.s.Delete(ctx, k) }
func (l listerOnly) List(ctx context.Context, p string, fn func(backend.KeyInfo) bool) error {
	return l.s.List(ctx, p, fn)
}

func TestLock(t *testing.T) {
	s1, s2 := newStore("s1", nil), newStore("s2", nil)
	tests := []struct {
		name    string
		l1, l2  backend.Backend
		holder  *store
		wantErr error
	}{
		{"l2 locks first", s1, s2, s2, nil},
		{"l1 locks when l2 cannot", s1, bare{s2}, s1, nil},
		{"no layer locks", bare{s1}, bare{s2}, nil, errors.ErrUnsupported},
		{"a nested composition that cannot lock is skipped", s1, mustNew(t, bare{s2}, bare{s2}, composition.Options{}), s1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustNew(t, tt.l1, tt.l2, composition.Options{})
			unlock, err := c.Lock(t.Context(), "k", time.Second)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || unlock != nil {
					t.Fatalf("Lock = %v, want an error wrapping %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Lock = %v, want nil", err)
			}
			defer unlock()
			if !tt.holder.locked["k"] {
				t.Errorf("%s does not hold the lock", tt.holder.name)
			}
			_, err = c.Lock(t.Context(), "k", time.Second)
			if !errors.Is(err, backend.ErrLocked) {
				t.Errorf("second Lock = %v, want an error wrapping backend.ErrLocked", err)
			}
			unlock()
			unlock2, err := c.Lock(t.Context(), "k", time.Second)
			if err != nil {
				t.Fatalf("Lock after unlock = %v, want nil", err)
			}
			unlock2()
		})
	}
}

func TestStats(t *testing.T) {
	l := newLayers(t, composition.Options{})
	ctx := t.Context()
	now := time.Now()
	l.s2.put("only-l2", entry("v", now))
	_ = l.c.Set(ctx, "k", entry("v", now)) // sets: l1, l2
	_, _, _ = l.c.Get(ctx, "k")            // hit l1
	_, _, _ = l.c.Get(ctx, "only-l2")      // miss l1, hit l2
	_, _, _ = l.c.Get(ctx, "none")         // miss l1, miss l2
	l.f1.FailGet(errL1)
	_, _, _ = l.c.Get(ctx, "k") // error l1 (swallowed), hit l2
	l.f2.FailGet(errL2)
	_, _, _ = l.c.Get(ctx, "k") // error l1, error l2: returned
	_, _ = l.c.Delete(ctx, "k") // deletes both
	_, _, _ = l.c.Get(ctx, "")  // invalid key
	st := l.c.Stats()
	check := func(name string, s backend.Stats, label string, hits, misses, sets, deletes, errs uint64) {
		t.Helper()
		if s.Label != label || s.Hits != hits || s.Misses != misses || s.Sets != sets || s.Deletes != deletes || s.Errors != errs {
			t.Errorf("%s = %q hits %d misses %d sets %d deletes %d errors %d; want %q %d %d %d %d %d", name,
				s.Label, s.Hits, s.Misses, s.Sets, s.Deletes, s.Errors, label, hits, misses, sets, deletes, errs)
		}
	}
	check("Stats()", st, "", 3, 1, 1, 1, 2)
	if len(st.Layers) != 2 {
		t.Fatalf("Stats().Layers has %d entries, want 2", len(st.Layers))
	}
	check("Stats().Layers[0]", st.Layers[0], "l1", 1, 2, 1, 1, 2)
	check("Stats().Layers[1]", st.Layers[1], "l2", 2, 1, 1, 1, 1)
	if st.Entries != -1 || st.Bytes != -1 || st.Layers[0].Entries != -1 {
		t.Errorf("Stats() Entries %d Bytes %d, L1 Entries %d; want -1 for stores that cannot tell", st.Entries, st.Bytes, st.Layers[0].Entries)
	}
}

func TestClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s1, s2 := newStore("s1", nil), newStore("s2", nil)
		f2 := backendtest.NewFault(s2)
		c, err := composition.New(s1, f2, composition.Options{Write: composition.WriteRace})
		if err != nil {
			t.Fatal(err)
		}
		f2.Delay(time.Second)
		start := time.Now()
		if err := c.Set(t.Context(), "k", entry("v", start)); err != nil {
			t.Fatalf("Set = %v", err)
		}
		if err := c.Close(t.Context()); err != nil {
			t.Fatalf("Close = %v, want nil", err)
		}
		if took := time.Since(start); took != time.Second || !s2.has("k") {
			t.Errorf("Close returned after %v with L2 holding the entry = %v; want 1s and true", took, s2.has("k"))
		}
		ctx := t.Context()
		calls := map[string]error{}
		_, _, calls["Get"] = c.Get(ctx, "k")
		calls["Set"] = c.Set(ctx, "k", entry("v", start))
		_, calls["Delete"] = c.Delete(ctx, "k")
		calls["List"] = c.List(ctx, "", func(backend.KeyInfo) bool { return true })
		_, calls["Purge"] = c.Purge(ctx, "")
		_, calls["Lock"] = c.Lock(ctx, "k", time.Second)
		for name, err := range calls {
			if !errors.Is(err, composition.ErrClosed) {
				t.Errorf("%s after Close = %v, want an error wrapping ErrClosed", name, err)
			}
		}
		if err := c.Close(t.Context()); err != nil {
			t.Errorf("second Close = %v, want nil", err)
		}
	})
}

func TestCloseGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s1, s2 := newStore("s1", nil), newStore("s2", nil)
		f2 := backendtest.NewFault(s2)
		c, err := composition.New(s1, f2, composition.Options{Write: composition.WriteRace})
		if err != nil {
			t.Fatal(err)
		}
		f2.Hang(true)
		if err := c.Set(t.Context(), "k", entry("v", time.Now())); err != nil {
			t.Fatalf("Set = %v", err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if err := c.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Close with a hanging loser = %v, want context.DeadlineExceeded", err)
		}
		synctest.Wait() // the canceled loser has returned: nothing leaks
		if s2.has("k") {
			t.Error("a loser canceled by Close landed")
		}
		if err := c.Close(t.Context()); err != nil {
			t.Errorf("Close once the loser returned = %v, want nil", err)
		}
	})
}
