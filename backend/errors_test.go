package backend

import (
	"errors"
	"fmt"
	"testing"
)

func TestOptionError(t *testing.T) {
	cause := errors.New("store: negative Size -1")
	var err error = fmt.Errorf("wrapped: %w", &OptionError{Field: "Size", Err: cause})
	var oe *OptionError
	if !errors.As(err, &oe) || oe.Field != "Size" {
		t.Fatalf("errors.As(%v) = %v, want an OptionError for Size", err, oe)
	}
	if oe.Error() != cause.Error() || !errors.Is(err, cause) {
		t.Errorf("OptionError = %q, Is(cause) = %v; want the cause's text, true", oe.Error(), errors.Is(err, cause))
	}
}
