package config

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that the stores the tests build are closed completely.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
