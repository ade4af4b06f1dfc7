package composition_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/composition"
)

func TestParseRoundTrip(t *testing.T) {
	type enum interface{ String() string }
	tests := []struct {
		name  string
		parse func(string) (enum, error)
		valid []enum
	}{
		{"read", func(s string) (enum, error) { return composition.ParseReadPolicy(s) },
			[]enum{composition.ReadSequential, composition.ReadRace, composition.ReadParallel}},
		{"write", func(s string) (enum, error) { return composition.ParseWritePolicy(s) },
			[]enum{composition.WriteOptimisticParallel, composition.WriteSequential, composition.WriteRace}},
		{"refill", func(s string) (enum, error) { return composition.ParseRefillPolicy(s) },
			[]enum{composition.RefillNever, composition.RefillAlways}},
		{"loser", func(s string) (enum, error) { return composition.ParseLoserPolicy(s) },
			[]enum{composition.LoserOffload, composition.LoserDrop}},
		{"tag check", func(s string) (enum, error) { return composition.ParseTagCheckPolicy(s) },
			[]enum{composition.TagCheckServing, composition.TagCheckEvery}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, v := range tt.valid {
				got, err := tt.parse(v.String())
				if err != nil || got != v {
					t.Errorf("Parse(%q) = %v, %v; want %v", v.String(), got, err, v)
				}
			}
			for _, bad := range []string{"", "sequential", "Bogus", "0"} {
				if _, err := tt.parse(bad); !errors.Is(err, composition.ErrInvalidOptions) {
					t.Errorf("Parse(%q) = %v, want an error wrapping ErrInvalidOptions", bad, err)
				}
			}
		})
	}
}

func TestStrings(t *testing.T) {
	tests := []struct {
		got  fmt.Stringer
		want string
	}{
		{composition.ReadRace, "Race"},
		{composition.ReadPolicy(0), "ReadPolicy(0)"},
		{composition.WriteOptimisticParallel, "OptimisticParallel"},
		{composition.WritePolicy(7), "WritePolicy(7)"},
		{composition.RefillAlways, "Always"},
		{composition.RefillPolicy(-1), "RefillPolicy(-1)"},
		{composition.LoserDrop, "Drop"},
		{composition.LoserPolicy(3), "LoserPolicy(3)"},
	}
	for _, tt := range tests {
		if s := tt.got.String(); s != tt.want {
			t.Errorf("String() = %q, want %q", s, tt.want)
		}
	}
}

func TestNewInvalid(t *testing.T) {
	s := newStore("s", nil)
	tests := []struct {
		name   string
		l1, l2 *store
		o      composition.Options
	}{
		{"nil l1", nil, s, composition.Options{}},
		{"nil l2", s, nil, composition.Options{}},
		{"read", s, s, composition.Options{Read: 4}},
		{"write", s, s, composition.Options{Write: -1}},
		{"refill", s, s, composition.Options{Refill: 3}},
		{"loser", s, s, composition.Options{Loser: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l1, l2 = backendOf(tt.l1), backendOf(tt.l2)
			c, err := composition.New(l1, l2, tt.o)
			if !errors.Is(err, composition.ErrInvalidOptions) || c != nil {
				t.Errorf("New = %v, %v; want nil and an error wrapping ErrInvalidOptions", c, err)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	c := mustNew(t, newStore("a", nil), newStore("b", nil), composition.Options{})
	if l1, l2 := c.LayerLabels(); l1 != "l1" || l2 != "l2" {
		t.Errorf("LayerLabels() = %q, %q; want l1, l2", l1, l2)
	}
	if a, b := c.Layers(); a == nil || b == nil || backend.Label(a) != "a" || backend.Label(b) != "b" {
		t.Errorf("Layers() = %v, %v; want the stores a and b", a, b)
	}
}
