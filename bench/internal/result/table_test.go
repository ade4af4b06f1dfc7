package result

import (
	"bytes"
	"strings"
	"testing"
)

func TestLinesMediansAndRatios(t *testing.T) {
	var ms []Measure
	for _, v := range [][2]float64{{10, 20}, {30, 10}, {20, 40}} { // hitbox, peer per repetition
		ms = append(ms,
			Measure{Row: "r", Case: "c", Metric: "ops", Unit: PerSecond, Subject: Hitbox, Value: v[0]},
			Measure{Row: "r", Case: "c", Metric: "ops", Unit: PerSecond, Subject: "peer", Value: v[1], Target: AtLeast(0.8, "≥ 0.8×")},
		)
	}
	lines := Lines(ms)
	if len(lines) != 1 {
		t.Fatalf("got %d lines, want 1", len(lines))
	}
	l := lines[0]
	tests := []struct {
		name      string
		got, want any
	}{
		{"hitbox median", l.Hitbox, 20.0},
		{"peer median", l.Peer, 20.0},
		{"comparison", *l.Comparison, 1.0},
		{"met", *l.Met, true},
		{"reps", l.Reps, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func TestLinesPercentAndNA(t *testing.T) {
	ms := []Measure{
		{Row: "ratio", Metric: "hit ratio", Unit: Percent, Subject: Hitbox, Value: 50},
		{Row: "ratio", Metric: "hit ratio", Unit: Percent, Subject: "otter", Value: 51.5, Target: AtLeast(-1, "within 1 pt")},
		NA("ratio", "", "hit ratio", Percent, "gone", "not served"),
		NA("calls", "", "n", Count, Hitbox, "part missing"),
	}
	lines := Lines(ms)
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3", len(lines))
	}
	if c := *lines[0].Comparison; c != -1.5 {
		t.Errorf("percent comparison = %v, want -1.5 points", c)
	}
	if *lines[0].Met {
		t.Error("-1.5 pt met a within-1-pt target")
	}
	if lines[1].PeerNA != "not served" || lines[1].Comparison != nil {
		t.Errorf("n/a peer line = %+v", lines[1])
	}
	if lines[2].HitboxNA != "part missing" || lines[2].PeerName != "" {
		t.Errorf("n/a hitbox line = %+v", lines[2])
	}
	var b bytes.Buffer
	if err := WriteTable(&b, lines); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"-1.50 pt", "n/a (not served)", "n/a (part missing)", "| no |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}

func TestTargetCheck(t *testing.T) {
	tests := []struct {
		name    string
		t       *Target
		h, c    float64
		met, ok bool
	}{
		{"at most holds", AtMost(1.5, ""), 0, 1.5, true, true},
		{"at most fails", AtMost(1.5, ""), 0, 1.6, false, true},
		{"below", Below(1, ""), 0, 0.9, true, true},
		{"above fails", Above(0, ""), 0, 0, false, true},
		{"exactly reads hitbox", Exactly(1, ""), 1, 7, true, true},
		{"unchecked", &Target{Text: "about nginx"}, 0, 1, false, false},
		{"nil", nil, 0, 1, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			met, ok := tt.t.Check(tt.h, tt.c)
			if met != tt.met || ok != tt.ok {
				t.Errorf("Check = %v, %v; want %v, %v", met, ok, tt.met, tt.ok)
			}
		})
	}
}

func TestEscape(t *testing.T) {
	got := escape("a|b\n  c" + strings.Repeat("x", 400))
	if strings.Contains(got, "\n") || !strings.HasPrefix(got, `a\|b c`) || len(got) > maxCell+10 {
		t.Errorf("escape = %q", got)
	}
}
