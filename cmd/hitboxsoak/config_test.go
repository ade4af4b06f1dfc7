package main

import (
	"testing"

	"github.com/hitbox-go/hitbox/config"
)

// TestConfigLoads checks that the generated file is one hitboxd accepts:
// a Composition of Memory over Redis and one endpoint per kind, in order.
func TestConfigLoads(t *testing.T) {
	t.Parallel()
	for _, distinct := range []bool{false, true} {
		file := hitboxdConfig("http://127.0.0.1:1", "redis://127.0.0.1:2/0", distinct)
		f, warns, err := config.Parse("soak.yaml", []byte(file))
		if err != nil {
			t.Fatalf("hitboxdConfig(distinct=%v) does not load: %v\n%s", distinct, err, file)
		}
		if len(warns) > 0 {
			t.Errorf("hitboxdConfig(distinct=%v) warns: %v", distinct, warns)
		}
		checkConfig(t, f)
	}
}

func checkConfig(t *testing.T, f *config.File) {
	t.Helper()
	if f.Backend.Type != config.Composition || f.Backend.Composition.L1.Type != config.Memory || f.Backend.Composition.L2.Type != config.Redis {
		t.Errorf("backend = %v, want Composition of Memory over Redis", f.Backend.Type)
	}
	if len(f.Endpoints) != int(numKinds) {
		t.Fatalf("%d endpoints, want %d", len(f.Endpoints), numKinds)
	}
	for k := range numKinds {
		if f.Endpoints[k].Name != k.String() {
			t.Errorf("endpoint %d is %q, want %q", k, f.Endpoints[k].Name, k)
		}
	}
}
