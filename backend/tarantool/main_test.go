package tarantool

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no goroutine outlives the tests: the sweep, the
// connection attempts and go-tarantool's own goroutines end with Close.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
