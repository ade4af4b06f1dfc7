//go:build unix

package lifecycle

import (
	"os"
	"testing"
	"time"
)

func TestSignalContext(t *testing.T) {
	ctx := SignalContext()
	if ctx.Err() != nil {
		t.Fatalf("before any signal: ctx.Err() = %v, want nil", ctx.Err())
	}
	p, err := os.FindProcess(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(30 * time.Second): // a bound on the wait, not a window
		t.Fatal("SIGINT did not end the context")
	}
}
