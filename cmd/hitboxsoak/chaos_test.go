package main

import (
	"testing"
	"time"
)

func TestSchedule(t *testing.T) {
	t.Parallel()
	got := schedule(time.Minute)
	want := []event{{9 * time.Second, actKill}, {18 * time.Second, actStart}, {30 * time.Second, actPause}, {39 * time.Second, actResume}, {48 * time.Second, actRestart}}
	if len(got) != len(want) {
		t.Fatalf("schedule(1m) = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("schedule(1m)[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	for _, d := range []time.Duration{10 * time.Second, 90 * time.Second, 10 * time.Minute} {
		evs := schedule(d)
		cycles := max(int(d/time.Minute), 1)
		if len(evs) != 5*cycles {
			t.Errorf("schedule(%v): %d actions, want %d", d, len(evs), 5*cycles)
		}
		for i, ev := range evs {
			if ev.At <= 0 || ev.At >= d || (i > 0 && ev.At <= evs[i-1].At) {
				t.Errorf("schedule(%v)[%d] at %v: want increasing times inside (0, %v)", d, i, ev.At, d)
			}
		}
		if last := evs[len(evs)-1]; last.Act != actRestart || d-last.At < d/time.Duration(cycles)/5 {
			t.Errorf("schedule(%v) ends with %v at %v, want a restart leaving Redis up for the end", d, last.Act, last.At)
		}
	}
	if evs := schedule(0); evs != nil {
		t.Errorf("schedule(0) = %v, want nothing", evs)
	}
}
