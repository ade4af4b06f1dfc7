package disk

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no goroutine outlives the tests (the sweep runs on
// its own goroutine until Close stops it). Run as the crash test's child
// writer (see TestCrashKilledWriter), it writes until it is killed instead.
func TestMain(m *testing.M) {
	if path := os.Getenv(crashChildEnv); path != "" {
		os.Exit(crashChild(path))
	}
	goleak.VerifyTestMain(m)
}
