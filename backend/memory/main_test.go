package memory

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no goroutine outlives the tests: otter runs a
// periodic clean-up on its own goroutine until Close stops it.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
