package backendtest

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/hitbox-go/hitbox/backend"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func refFactory(mutant string) Factory {
	return func(t *testing.T, now func() time.Time) backend.Backend {
		return newRefStore(now, mutant)
	}
}

var refOptions = Options{WriteRaw: writeRaw, ReadRaw: readRaw}

func TestReference(t *testing.T) {
	Run(t, refFactory(""), refOptions)
}

func TestReferenceWithoutRaw(t *testing.T) {
	Run(t, refFactory(""), Options{MaxValueSize: 1 << 10})
}

func TestReferenceWriteRawOnly(t *testing.T) {
	Run(t, refFactory(""), Options{WriteRaw: writeRaw, MaxValueSize: 1 << 10})
}

func TestReferenceThroughFault(t *testing.T) {
	Run(t, func(t *testing.T, now func() time.Time) backend.Backend {
		return NewFault(newRefStore(now, ""))
	}, Options{WriteRaw: writeRaw, ReadRaw: readRaw, MaxValueSize: 1 << 20})
}

// bare hides every optional capability of the backend it holds.
type bare struct{ b backend.Backend }

func (b bare) Get(ctx context.Context, key string) (backend.Entry, bool, error) {
	return b.b.Get(ctx, key)
}
func (b bare) Set(ctx context.Context, key string, e backend.Entry) error {
	return b.b.Set(ctx, key, e)
}
func (b bare) Delete(ctx context.Context, key string) (bool, error) { return b.b.Delete(ctx, key) }

func TestBareThroughFault(t *testing.T) {
	Run(t, func(t *testing.T, now func() time.Time) backend.Backend {
		return NewFault(bare{newRefStore(now, "")})
	}, Options{MaxValueSize: 1 << 20})
}

const mutantEnv = "HITBOX_BACKENDTEST_MUTANT"

// TestMutantTarget runs the suite against a reference store with the bug
// named in $HITBOX_BACKENDTEST_MUTANT; TestMutants runs it in a child
// process and expects it to fail. It is skipped otherwise.
func TestMutantTarget(t *testing.T) {
	mutant := os.Getenv(mutantEnv)
	if mutant == "" {
		t.Skip("run by TestMutants")
	}
	Run(t, refFactory(mutant), Options{WriteRaw: writeRaw, ReadRaw: readRaw, MaxValueSize: 2 << 20})
}

// TestMutants checks that the suite catches each deliberate bug of the
// reference store in the case meant to catch it.
func TestMutants(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	tests := []struct {
		mutant, caught string
	}{
		{"noexpiry", "Expiry"},
		{"wallclock", "Expiry"},
		{"storepast", "SetPastDeadline"},
		{"millis", "Metadata"},
		{"deletelies", "DeleteReportsExisted"},
		{"emptykey", "InvalidKey"},
		{"badinput", "BadInputKeepsEntries"},
		{"emptymiss", "EmptyValue"},
		{"toolarge", "LargeValue"},
		{"keycollide", "BinaryKeys"},
		{"crossed", "Concurrent"},
		{"cancelcorrupt", "ContextCanceled"},
		{"nilctx", "NilContext"},
		{"listgone", "List"},
		{"listnostop", "List"},
		{"purgecount", "Purge"},
		{"decodeerror", "CorruptedBytes"},
		{"nodecodecount", "CorruptedBytes"},
		{"nocrc", "CorruptedBytes"},
		{"droptags", "TagsRoundTrip"},
		{"listtags", "TagsRoundTrip"},
		{"markback", "InvalidateTags"},
		{"markfirst", "InvalidateTags"},
	}
	for _, tt := range tests {
		t.Run(tt.mutant, func(t *testing.T) {
			t.Parallel()
			cmd := exec.CommandContext(t.Context(), os.Args[0],
				"-test.run=^TestMutantTarget$/^"+tt.caught+"$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), mutantEnv+"="+tt.mutant)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed a store with the %q bug; output:\n%s", tt.mutant, out)
			}
			if want := "--- FAIL: TestMutantTarget/" + tt.caught; !strings.Contains(string(out), want) {
				t.Fatalf("output lacks %q; output:\n%s", want, out)
			}
			if strings.Contains(string(out), "\npanic: ") {
				t.Fatalf("the suite panicked on the %q bug; output:\n%s", tt.mutant, out)
			}
		})
	}
}
