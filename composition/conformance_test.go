package composition_test

import (
	"context"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/backendtest"
	"github.com/hitbox-go/hitbox/backend/memory"
	"github.com/hitbox-go/hitbox/composition"
)

// layerKinds make the layers the conformance suite runs compositions of.
var layerKinds = []struct {
	name string
	make func(t *testing.T, now func() time.Time) backend.Backend
}{
	{"memory", func(t *testing.T, now func() time.Time) backend.Backend { return newMemory(t, now) }},
	{"fault", func(t *testing.T, now func() time.Time) backend.Backend {
		return backendtest.NewFault(newMemory(t, now))
	}},
}

// newMemory returns a memory store on the clock now, closed at the end of
// the test.
func newMemory(t *testing.T, now func() time.Time) *memory.Backend {
	t.Helper()
	m, err := memory.New(memory.Options{MaxBytes: 64 << 20, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(context.Background()); err != nil {
			t.Errorf("memory Close = %v", err)
		}
	})
	return m
}

// TestConformance runs the backend conformance suite against every read ×
// write × refill policy combination.
func TestConformance(t *testing.T) {
	for _, kind := range layerKinds {
		for _, read := range readPolicies {
			for _, write := range writePolicies {
				for _, refill := range []composition.RefillPolicy{composition.RefillNever, composition.RefillAlways} {
					o := composition.Options{Read: read, Write: write, Refill: refill}
					t.Run(kind.name+"/"+read.String()+"/"+write.String()+"/"+refill.String(), func(t *testing.T) {
						t.Parallel()
						backendtest.Run(t, func(t *testing.T, now func() time.Time) backend.Backend {
							o := o
							o.Now = now
							c, err := composition.New(kind.make(t, now), kind.make(t, now), o)
							if err != nil {
								t.Fatal(err)
							}
							t.Cleanup(func() {
								if err := c.Close(context.Background()); err != nil {
									t.Errorf("Close = %v", err)
								}
							})
							return c
						}, backendtest.Options{})
					})
				}
			}
		}
	}
}
