package composition_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hitbox-go/hitbox/composition"
	"github.com/hitbox-go/hitbox/offload"
)

var writePolicies = []composition.WritePolicy{composition.WriteOptimisticParallel, composition.WriteSequential, composition.WriteRace}

func TestSetPolicies(t *testing.T) {
	const (
		opt = composition.WriteOptimisticParallel
		seq = composition.WriteSequential
		rac = composition.WriteRace
	)
	type want struct {
		errLabels []string
		causes    []error
		l1, l2    bool // whether each layer holds the entry in the end
		l2Calls   int64
	}
	ok := want{l1: true, l2: true, l2Calls: 1}
	tests := []struct {
		name  string
		setup func(l *layers)
		want  map[composition.WritePolicy]want
	}{
		{"both succeed", nil, map[composition.WritePolicy]want{opt: ok, seq: ok, rac: ok}},
		{
			"l1 fails", func(l *layers) { l.f1.FailSet(errL1) },
			map[composition.WritePolicy]want{
				opt: {l2: true, l2Calls: 1},
				seq: {errLabels: []string{"l1"}, causes: []error{errL1}},
				rac: {l2: true, l2Calls: 1},
			},
		},
		{
			"l2 fails", func(l *layers) { l.f2.FailSet(errL2) },
			map[composition.WritePolicy]want{
				opt: {l1: true, l2Calls: 1},
				seq: {errLabels: []string{"l2"}, causes: []error{errL2}, l1: true, l2Calls: 1},
				rac: {l1: true, l2Calls: 1},
			},
		},
		{
			"both fail", func(l *layers) { l.f1.FailSet(errL1); l.f2.FailSet(errL2) },
			map[composition.WritePolicy]want{
				opt: {errLabels: []string{"l1", "l2"}, causes: []error{errL1, errL2}, l2Calls: 1},
				seq: {errLabels: []string{"l1"}, causes: []error{errL1}},
				rac: {errLabels: []string{"l1", "l2"}, causes: []error{errL1, errL2}, l2Calls: 1},
			},
		},
	}
	for _, tt := range tests {
		for _, p := range writePolicies {
			want := tt.want[p]
			t.Run(tt.name+"/"+p.String(), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					l := newLayers(t, composition.Options{Write: p})
					if tt.setup != nil {
						tt.setup(l)
					}
					err := l.c.Set(t.Context(), "k", entry("v", time.Now()))
					if want.errLabels != nil {
						wantLayersErr(t, "Set", err, want.errLabels, want.causes...)
					} else if err != nil {
						t.Fatalf("Set = %v, want nil", err)
					}
					synctest.Wait()
					if got := l.s1.has("k"); got != want.l1 {
						t.Errorf("L1 holds the entry = %v, want %v", got, want.l1)
					}
					if got := l.s2.has("k"); got != want.l2 {
						t.Errorf("L2 holds the entry = %v, want %v", got, want.l2)
					}
					if _, sets, _ := l.f2.Calls(); sets != want.l2Calls {
						t.Errorf("L2 was written %d times, want %d", sets, want.l2Calls)
					}
					st := l.c.Stats()
					failed := map[bool]uint64{true: 1}
					if st.Layers[0].Errors != failed[!want.l1] || st.Layers[1].Errors != failed[!want.l2 && want.l2Calls > 0] {
						t.Errorf("Stats() layer errors = %d, %d; want %d, %d",
							st.Layers[0].Errors, st.Layers[1].Errors, failed[!want.l1], failed[!want.l2 && want.l2Calls > 0])
					}
					if st.Errors != failed[want.errLabels != nil] || st.Sets != failed[want.errLabels == nil] {
						t.Errorf("Stats() = %d sets, %d errors; want %d, %d", st.Sets, st.Errors, failed[want.errLabels == nil], failed[want.errLabels != nil])
					}
				})
			})
		}
	}
}

// TestSetSlowLayer checks when each write policy returns with a slow L2,
// and what becomes of the race's loser.
func TestSetSlowLayer(t *testing.T) {
	const delay = 2 * time.Millisecond
	tests := []struct {
		name      string
		write     composition.WritePolicy
		loser     composition.LoserPolicy
		offloader string // "", "accept", "refuse" or "runner"
		wantAfter time.Duration
		wantL2    bool // whether the slow write lands
	}{
		{"optimistic parallel waits", composition.WriteOptimisticParallel, 0, "", delay, true},
		{"sequential waits", composition.WriteSequential, 0, "", delay, true},
		{"race, loser offloaded to the composition", composition.WriteRace, composition.LoserOffload, "", 0, true},
		{"race, loser offloaded to an offloader", composition.WriteRace, composition.LoserOffload, "accept", 0, true},
		{"race, loser offloaded to an offload.Runner", composition.WriteRace, composition.LoserOffload, "runner", 0, true},
		{"race, offloader refuses the loser", composition.WriteRace, composition.LoserOffload, "refuse", 0, false},
		{"race, loser dropped", composition.WriteRace, composition.LoserDrop, "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				o := composition.Options{Write: tt.write, Loser: tt.loser}
				var fo *fakeOffloader
				switch tt.offloader {
				case "accept", "refuse":
					fo = &fakeOffloader{refuse: tt.offloader == "refuse"}
					o.Offload = fo
				case "runner":
					r, err := offload.New(offload.Options{})
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { _ = r.Close(context.Background()) })
					o.Offload = r
				}
				l := newLayers(t, o)
				l.f2.Delay(delay)
				start := time.Now()
				if err := l.c.Set(t.Context(), "k", entry("v", start)); err != nil {
					t.Fatalf("Set = %v, want nil", err)
				}
				if took := time.Since(start); took != tt.wantAfter {
					t.Errorf("Set returned after %v, want %v", took, tt.wantAfter)
				}
				if !l.s1.has("k") {
					t.Error("L1 does not hold the entry after Set")
				}
				time.Sleep(delay)
				synctest.Wait()
				if got := l.s2.has("k"); got != tt.wantL2 {
					t.Errorf("the slow L2 holds the entry = %v, want %v", got, tt.wantL2)
				}
				if fo != nil {
					fo.wait()
					if names := fo.names(); len(names) != 1 || names[0] != composition.TaskRaceWriteLoser {
						t.Errorf("offloader was handed %q, want one %q", names, composition.TaskRaceWriteLoser)
					}
				}
				wantErrs := uint64(0)
				if st := l.c.Stats(); st.Layers[1].Errors != wantErrs || st.Layers[1].Sets != map[bool]uint64{true: 1}[tt.wantL2] {
					t.Errorf("Stats().Layers[1] = %d sets, %d errors; a dropped loser is no failure", st.Layers[1].Sets, st.Layers[1].Errors)
				}
			})
		})
	}
}

func TestSetRaceOffloaderGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fo := &fakeOffloader{}
		fo.ctx, fo.cancel = context.WithTimeout(context.Background(), time.Second)
		defer fo.cancel()
		l := newLayers(t, composition.Options{Write: composition.WriteRace, Offload: fo})
		l.f2.Hang(true)
		if err := l.c.Set(t.Context(), "k", entry("v", time.Now())); err != nil {
			t.Fatalf("Set = %v, want nil", err)
		}
		fo.wait() // the task's context ends after 1s and cancels the loser
		synctest.Wait()
		if l.s2.has("k") {
			t.Error("L2 holds the entry of a loser the offloader gave up on")
		}
		if err := l.c.Close(t.Context()); err != nil {
			t.Errorf("Close = %v, want nil: the loser was canceled", err)
		}
	})
}

func TestSetRaceHangingLayer(t *testing.T) {
	for _, hang := range []int{1, 2} {
		t.Run(map[int]string{1: "l1 hangs", 2: "l2 hangs"}[hang], func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := newLayers(t, composition.Options{Write: composition.WriteRace})
				f := map[int]interface{ Hang(bool) }{1: l.f1, 2: l.f2}[hang]
				f.Hang(true)
				start := time.Now()
				if err := l.c.Set(t.Context(), "k", entry("v", start)); err != nil {
					t.Fatalf("Set = %v, want nil", err)
				}
				if took := time.Since(start); took != 0 {
					t.Errorf("Set took %v with a hanging layer, want 0", took)
				}
				// Until the loser lands, reads go to the winner.
				_, ok, label, err := l.c.GetLabeled(t.Context(), "k")
				if want := map[int]string{1: "l2", 2: "l1"}[hang]; err != nil || !ok || label != want {
					t.Errorf("GetLabeled while the loser hangs = %v, %q, %v; want a hit from %s", ok, label, err, want)
				}
				f.Hang(false)
				synctest.Wait()
				if !l.s1.has("k") || !l.s2.has("k") {
					t.Errorf("after the hang ends: L1 holds the entry = %v, L2 = %v; want both", l.s1.has("k"), l.s2.has("k"))
				}
			})
		})
	}
}

func TestSetRaceBothFailWaitsForTheOther(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLayers(t, composition.Options{Write: composition.WriteRace})
		l.f1.FailSet(errL1)
		l.f2.FailSet(errL2)
		l.f2.Delay(time.Second)
		start := time.Now()
		err := l.c.Set(t.Context(), "k", entry("v", start))
		wantLayersErr(t, "Set", err, []string{"l1", "l2"}, errL1, errL2)
		if took := time.Since(start); took != time.Second {
			t.Errorf("Set took %v, want the slow layer's 1s", took)
		}
	})
}

func TestSetRaceContextEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLayers(t, composition.Options{Write: composition.WriteRace})
		l.f1.Hang(true)
		l.f2.Hang(true)
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		err := l.c.Set(ctx, "k", entry("v", time.Now()))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Set with both layers hanging = %v, want context.DeadlineExceeded", err)
		}
		synctest.Wait()
		if l.s1.has("k") || l.s2.has("k") {
			t.Error("a canceled raced write landed")
		}
	})
}

// TestRaceWriteOrder checks that a composition keeps its own writes in order
// while a raced write's loser is still in flight: reads go to the winner,
// a later write or a delete cancels the loser first.
func TestRaceWriteOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newLayers(t, composition.Options{Write: composition.WriteRace, Refill: composition.RefillAlways})
		now := time.Now()
		l.s1.put("k", entry("old", now))
		l.s2.put("k", entry("old", now))
		l.f1.Delay(time.Second) // L1 loses every race
		read := func(want, wantLabel string) {
			t.Helper()
			l.f1.Delay(0)
			defer l.f1.Delay(time.Second)
			e, ok, label, err := l.c.GetLabeled(t.Context(), "k")
			if err != nil || ok != (want != "") || string(e.Value) != want || label != wantLabel {
				t.Errorf("GetLabeled = %q, %v, %q, %v; want %q from %q", e.Value, ok, label, err, want, wantLabel)
			}
		}
		set := func(v string) {
			t.Helper()
			if err := l.c.Set(t.Context(), "k", entry(v, now)); err != nil {
				t.Fatalf("Set(%s) = %v", v, err)
			}
		}
		set("v1")
		read("v1", "l2") // L1 still holds "old"
		set("v2")        // cancels v1's loser
		read("v2", "l2")
		time.Sleep(time.Second)
		synctest.Wait()
		if got := l.s1.value("k"); got != "v2" {
			t.Errorf("L1 holds %q once the losers are done, want v2", got)
		}
		read("v2", "l1")

		set("v3")
		if deleted, err := l.c.Delete(t.Context(), "k"); err != nil || !deleted {
			t.Fatalf("Delete = %v, %v; want true, nil", deleted, err)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if l.s1.has("k") || l.s2.has("k") {
			t.Errorf("a raced write's loser brought a deleted entry back: L1 %q, L2 %q", l.s1.value("k"), l.s2.value("k"))
		}
		read("", "")

		set("v4")
		if n, err := l.c.Purge(t.Context(), ""); err != nil || n != 1 {
			t.Fatalf("Purge = %d, %v; want 1, nil", n, err)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if l.s1.has("k") || l.s2.has("k") {
			t.Error("a raced write's loser brought a purged entry back")
		}
	})
}

func TestDelete(t *testing.T) {
	tests := []struct {
		name      string
		in1, in2  bool
		fail1     bool
		fail2     bool
		want      bool
		errLabels []string
	}{
		{"in both", true, true, false, false, true, nil},
		{"in l1 only", true, false, false, false, true, nil},
		{"in l2 only", false, true, false, false, true, nil},
		{"in neither", false, false, false, false, false, nil},
		{"l1 fails, l2 had it", true, true, true, false, true, nil},
		{"l2 fails, l1 had it", true, true, false, true, true, nil},
		{"l2 fails, l1 had nothing", false, true, false, true, false, nil},
		{"both fail", true, true, true, true, false, []string{"l1", "l2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLayers(t, composition.Options{})
			now := time.Now()
			if tt.in1 {
				l.s1.put("k", entry("v", now))
			}
			if tt.in2 {
				l.s2.put("k", entry("v", now))
			}
			if tt.fail1 {
				l.f1.FailDelete(errL1)
			}
			if tt.fail2 {
				l.f2.FailDelete(errL2)
			}
			deleted, err := l.c.Delete(t.Context(), "k")
			if tt.errLabels != nil {
				wantLayersErr(t, "Delete", err, tt.errLabels, errL1, errL2)
			} else if err != nil {
				t.Fatalf("Delete = %v, want nil", err)
			}
			if deleted != tt.want {
				t.Errorf("Delete = %v, want %v", deleted, tt.want)
			}
			if !tt.fail1 && l.s1.has("k") || !tt.fail2 && l.s2.has("k") {
				t.Error("a layer that did not fail still holds the key")
			}
			st := l.c.Stats()
			if st.Layers[0].Errors != map[bool]uint64{true: 1}[tt.fail1] || st.Layers[1].Errors != map[bool]uint64{true: 1}[tt.fail2] {
				t.Errorf("Stats() layer errors = %d, %d; want the failures counted", st.Layers[0].Errors, st.Layers[1].Errors)
			}
		})
	}
}

// fakeOffloader runs tasks in goroutines under its own context, or refuses
// them.
type fakeOffloader struct {
	refuse    bool
	ctx       context.Context // nil: context.Background
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	mu        sync.Mutex // guards taskNames
	taskNames []string
}

func (f *fakeOffloader) TryGo(name string, fn func(ctx context.Context)) bool {
	f.mu.Lock()
	f.taskNames = append(f.taskNames, name)
	f.mu.Unlock()
	if f.refuse {
		return false
	}
	ctx := f.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	f.wg.Go(func() { fn(ctx) })
	return true
}

func (f *fakeOffloader) wait() { f.wg.Wait() }

func (f *fakeOffloader) names() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.taskNames...)
}

var _ composition.Offloader = (*offload.Runner)(nil)
