package redis

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no goroutine outlives the tests: lock extensions,
// subscriptions and the clients' own goroutines end with Close.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
