package composition_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/composition"
)

var readPolicies = []composition.ReadPolicy{composition.ReadSequential, composition.ReadRace, composition.ReadParallel}

// readWant is the expected outcome of a Get: a hit from label, a miss
// (label ""), or an error naming errLabels and wrapping causes.
type readWant struct {
	label     string
	errLabels []string
	causes    []error
	// after is how long the Get takes (on the synctest clock).
	after time.Duration
}

func TestGetPolicies(t *testing.T) {
	const (
		seq = composition.ReadSequential
		rac = composition.ReadRace
		par = composition.ReadParallel
	)
	hit := func(label string) readWant { return readWant{label: label} }
	miss := readWant{}
	fail := func(causes ...error) readWant {
		w := readWant{causes: causes}
		for _, c := range causes {
			w.errLabels = append(w.errLabels, map[error]string{errL1: "l1", errL2: "l2"}[c])
		}
		return w
	}
	slow := func(w readWant) readWant { w.after = time.Second; return w }
	// Entries are written at the synctest epoch; "v1" lives in L1 and
	// "v2" in L2, expiring after the given durations (0: never).
	tests := []struct {
		name   string
		l1, l2 time.Duration // expiry of the entry in the layer; -1: none
		setup  func(l *layers)
		want   map[composition.ReadPolicy]readWant
	}{
		{
			name: "l1 hit, l2 expires later and is slower",
			l1:   time.Hour, l2: 2 * time.Hour,
			setup: func(l *layers) { l.f2.Delay(time.Second) },
			want:  map[composition.ReadPolicy]readWant{seq: hit("l1"), rac: hit("l1"), par: slow(hit("l2"))},
		},
		{
			name: "both hit, l1 expires later",
			l1:   2 * time.Hour, l2: time.Hour,
			setup: func(l *layers) { l.f2.Delay(time.Second) },
			want:  map[composition.ReadPolicy]readWant{seq: hit("l1"), rac: hit("l1"), par: slow(hit("l1"))},
		},
		{
			name: "both hit, same expiry goes to l1",
			l1:   time.Hour, l2: time.Hour,
			want: map[composition.ReadPolicy]readWant{seq: hit("l1"), par: hit("l1")},
		},
		{
			name: "both hit, l2 never expires",
			l1:   time.Hour, l2: 0,
			want: map[composition.ReadPolicy]readWant{seq: hit("l1"), par: hit("l2")},
		},
		{
			name: "both hit, l1 slower",
			l1:   time.Hour, l2: time.Hour,
			setup: func(l *layers) { l.f1.Delay(time.Second) },
			want:  map[composition.ReadPolicy]readWant{seq: slow(hit("l1")), rac: hit("l2"), par: slow(hit("l1"))},
		},
		{
			name: "l2 only",
			l1:   -1, l2: time.Hour,
			want: map[composition.ReadPolicy]readWant{seq: hit("l2"), rac: hit("l2"), par: hit("l2")},
		},
		{
			name: "l1 only",
			l1:   time.Hour, l2: -1,
			want: map[composition.ReadPolicy]readWant{seq: hit("l1"), rac: hit("l1"), par: hit("l1")},
		},
		{
			name: "l1 misses fast, l2 hits slowly",
			l1:   -1, l2: time.Hour,
			setup: func(l *layers) { l.f2.Delay(time.Second) },
			want:  map[composition.ReadPolicy]readWant{seq: slow(hit("l2")), rac: slow(hit("l2")), par: slow(hit("l2"))},
		},
		{
			name: "l1 fails, l2 hits",
			l1:   time.Hour, l2: time.Hour,
			setup: func(l *layers) { l.f1.FailGet(errL1) },
			want:  map[composition.ReadPolicy]readWant{seq: hit("l2"), rac: hit("l2"), par: hit("l2")},
		},
		{
			name: "l1 hits, l2 fails",
			l1:   time.Hour, l2: time.Hour,
			setup: func(l *layers) { l.f2.FailGet(errL2) },
			want:  map[composition.ReadPolicy]readWant{seq: hit("l1"), rac: hit("l1"), par: hit("l1")},
		},
		{
			name: "l1 misses, l2 fails",
			l1:   -1, l2: time.Hour,
			setup: func(l *layers) { l.f2.FailGet(errL2) },
			want:  map[composition.ReadPolicy]readWant{seq: fail(errL2), rac: miss, par: miss},
		},
		{
			name: "l1 fails, l2 misses",
			l1:   time.Hour, l2: -1,
			setup: func(l *layers) { l.f1.FailGet(errL1) },
			want:  map[composition.ReadPolicy]readWant{seq: miss, rac: miss, par: miss},
		},
		{
			name: "both fail",
			l1:   time.Hour, l2: time.Hour,
			setup: func(l *layers) { l.f1.FailGet(errL1); l.f2.FailGet(errL2) },
			want:  map[composition.ReadPolicy]readWant{seq: fail(errL1, errL2), rac: fail(errL1, errL2), par: fail(errL1, errL2)},
		},
		{
			name: "both miss",
			l1:   -1, l2: -1,
			want: map[composition.ReadPolicy]readWant{seq: miss, rac: miss, par: miss},
		},
	}
	for _, tt := range tests {
		for _, p := range readPolicies {
			want, ok := tt.want[p]
			if !ok {
				continue // the winner of a race between equals is not decided
			}
			t.Run(tt.name+"/"+p.String(), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					l := newLayers(t, composition.Options{Read: p})
					now := time.Now()
					put := func(s *store, v string, ttl time.Duration) {
						switch {
						case ttl > 0:
							s.put("k", backend.Entry{Value: []byte(v), Written: now, Expire: now.Add(ttl)})
						case ttl == 0:
							s.put("k", backend.Entry{Value: []byte(v), Written: now})
						}
					}
					put(l.s1, "v1", tt.l1)
					put(l.s2, "v2", tt.l2)
					if tt.setup != nil {
						tt.setup(l)
					}
					e, ok, label, err := l.c.GetLabeled(t.Context(), "k")
					if took := time.Since(now); took != want.after {
						t.Errorf("GetLabeled took %v, want %v", took, want.after)
					}
					switch {
					case want.errLabels != nil:
						wantLayersErr(t, "GetLabeled", err, want.errLabels, want.causes...)
						if ok || label != "" {
							t.Errorf("GetLabeled = %v, %q with an error, want no hit nor label", ok, label)
						}
					case err != nil:
						t.Fatalf("GetLabeled = %v, want nil error", err)
					case want.label == "":
						if ok || label != "" {
							t.Errorf("GetLabeled = %q, %v, %q; want a miss", e.Value, ok, label)
						}
					default:
						wantV := map[string]string{"l1": "v1", "l2": "v2"}[want.label]
						if !ok || label != want.label || string(e.Value) != wantV {
							t.Errorf("GetLabeled = %q, %v, %q; want %q, true, %q", e.Value, ok, label, wantV, want.label)
						}
					}
					// Let race losers finish before the layers go.
					l.f1.Delay(0)
					l.f2.Delay(0)
				})
			})
		}
	}
}

func TestGetSequentialHangingL1RespectsContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLayers(t, composition.Options{Read: composition.ReadSequential})
		l.s2.put("k", entry("v2", time.Now()))
		l.f1.Hang(true)
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start := time.Now()
		_, ok, err := l.c.Get(ctx, "k")
		if took := time.Since(start); took != time.Second {
			t.Errorf("Get took %v, want the context's 1s", took)
		}
		if ok || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Get = %v, %v; want no hit and an error wrapping context.DeadlineExceeded", ok, err)
		}
		wantLayersErr(t, "Get", err, []string{"l1"})
		if gets, _, _ := l.f2.Calls(); gets != 0 {
			t.Errorf("L2 was read %d times after the context ended, want 0", gets)
		}
	})
}

func TestGetHangingLayer(t *testing.T) {
	tests := []struct {
		name      string
		read      composition.ReadPolicy
		loser     composition.LoserPolicy
		hang      int // the layer that hangs, 1 or 2
		wantLabel string
		wantAfter time.Duration
	}{
		{"race, l1 hangs, loser offloaded", composition.ReadRace, composition.LoserOffload, 1, "l2", 0},
		{"race, l1 hangs, loser dropped", composition.ReadRace, composition.LoserDrop, 1, "l2", 0},
		{"race, l2 hangs", composition.ReadRace, composition.LoserOffload, 2, "l1", 0},
		{"parallel, l2 hangs until the deadline", composition.ReadParallel, 0, 2, "l1", time.Second},
		{"parallel, l1 hangs until the deadline", composition.ReadParallel, 0, 1, "l2", time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := newLayers(t, composition.Options{Read: tt.read, Loser: tt.loser})
				now := time.Now()
				l.s1.put("k", entry("v1", now))
				l.s2.put("k", entry("v2", now))
				hanging := map[int]interface{ Hang(bool) }{1: l.f1, 2: l.f2}[tt.hang]
				hanging.Hang(true)
				ctx, cancel := context.WithTimeout(t.Context(), time.Second)
				defer cancel()
				_, ok, label, err := l.c.GetLabeled(ctx, "k")
				if err != nil || !ok || label != tt.wantLabel {
					t.Fatalf("GetLabeled = %v, %q, %v; want a hit from %s", ok, label, err, tt.wantLabel)
				}
				if took := time.Since(now); took != tt.wantAfter {
					t.Errorf("GetLabeled took %v, want %v", took, tt.wantAfter)
				}
				synctest.Wait()
				// A dropped loser has returned; an offloaded one
				// still hangs, and Close gives up on it.
				closeCtx, cancelClose := context.WithTimeout(context.Background(), time.Minute)
				defer cancelClose()
				err = l.c.Close(closeCtx)
				switch {
				case tt.read == composition.ReadRace && tt.loser == composition.LoserOffload:
					if !errors.Is(err, context.DeadlineExceeded) {
						t.Errorf("Close with a hanging offloaded loser = %v, want context.DeadlineExceeded", err)
					}
				case err != nil:
					t.Errorf("Close = %v, want nil", err)
				}
				synctest.Wait()
			})
		})
	}
}

func TestRefill(t *testing.T) {
	tests := []struct {
		name      string
		refill    composition.RefillPolicy
		read      composition.ReadPolicy
		where     string        // which store holds the entry: "l1", "l2" or "both"
		age       time.Duration // how old the entry is when read
		failL1Set bool
		wantL1    bool // whether L1 holds the entry after the read
		wantSets  int64
	}{
		{"never", composition.RefillNever, 0, "l2", 0, false, false, 0},
		{"always, fresh l2 hit", composition.RefillAlways, 0, "l2", 0, false, true, 1},
		{"always, fresh l2 hit, race", composition.RefillAlways, composition.ReadRace, "l2", 0, false, true, 1},
		{"always, fresh l2 hit, parallel", composition.RefillAlways, composition.ReadParallel, "l2", 0, false, true, 1},
		{"always, stale l2 hit", composition.RefillAlways, 0, "l2", 90 * time.Minute, false, false, 0},
		{"always, expired l2 hit", composition.RefillAlways, 0, "l2", 150 * time.Minute, false, false, 0},
		{"always, l1 hit", composition.RefillAlways, 0, "both", 0, false, true, 0},
		{"always, l1 write fails", composition.RefillAlways, 0, "l2", 0, true, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := newLayers(t, composition.Options{Read: tt.read, Refill: tt.refill})
				e := entry("v", time.Now())
				e.Keep = time.Hour
				if tt.where != "l2" {
					l.s1.put("k", e)
				}
				l.s2.put("k", e)
				if tt.failL1Set {
					l.f1.FailSet(errL1)
				}
				time.Sleep(tt.age)
				got, ok, err := l.c.Get(t.Context(), "k")
				if err != nil || !ok || string(got.Value) != "v" {
					t.Fatalf("Get = %q, %v, %v; want a hit", got.Value, ok, err)
				}
				synctest.Wait()
				if has := l.s1.has("k"); has != tt.wantL1 {
					t.Errorf("L1 holds the entry = %v, want %v", has, tt.wantL1)
				}
				if _, sets, _ := l.f1.Calls(); sets != tt.wantSets {
					t.Errorf("L1 was written %d times, want %d", sets, tt.wantSets)
				}
				if _, sets, _ := l.f2.Calls(); sets != 0 {
					t.Errorf("L2 was written %d times, want 0", sets)
				}
				if tt.failL1Set {
					if n := l.c.Stats().Layers[0].Errors; n != 1 {
						t.Errorf("Stats().Layers[0].Errors = %d after a failed refill, want 1", n)
					}
				}
			})
		})
	}
}

func TestGetRaceContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLayers(t, composition.Options{Read: composition.ReadRace})
		l.f1.Hang(true)
		l.f2.Hang(true)
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start := time.Now()
		_, ok, err := l.c.Get(ctx, "k")
		if ok || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Get with both layers hanging = %v, %v; want an error wrapping context.DeadlineExceeded", ok, err)
		}
		if took := time.Since(start); took != time.Second {
			t.Errorf("Get took %v, want the context's 1s", took)
		}
		if st := l.c.Stats(); st.Errors != 1 || st.Layers[0].Errors != 0 || st.Layers[1].Errors != 0 {
			t.Errorf("Stats() errors = %d, layers %d, %d; want 1, 0, 0: canceled calls are no layer failures",
				st.Errors, st.Layers[0].Errors, st.Layers[1].Errors)
		}
	})
}

func TestGetRaceLoserOffloaded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fo := &fakeOffloader{}
		l := newLayers(t, composition.Options{Read: composition.ReadRace, Offload: fo})
		now := time.Now()
		l.s1.put("k", entry("v1", now))
		l.s2.put("k", entry("v2", now))
		l.f2.Delay(time.Second)
		if _, _, label, err := l.c.GetLabeled(t.Context(), "k"); label != "l1" || err != nil {
			t.Fatalf("GetLabeled = %q, %v; want a hit from l1", label, err)
		}
		if took := time.Since(now); took != 0 {
			t.Errorf("GetLabeled took %v, want 0", took)
		}
		fo.wait()
		if names := fo.names(); len(names) != 1 || names[0] != composition.TaskRaceReadLoser {
			t.Errorf("offloader was handed %q, want one %q", names, composition.TaskRaceReadLoser)
		}
		if took := time.Since(now); took != time.Second {
			t.Errorf("the offloaded loser ran for %v, want the slow layer's 1s", took)
		}
		if st := l.c.Stats(); st.Hits != 1 || st.Layers[1].Hits != 1 {
			t.Errorf("Stats() hits = %d, L2 hits %d; want 1, 1 (the loser's hit is the layer's)", st.Hits, st.Layers[1].Hits)
		}
	})
}
