package main

import (
	"os"

	"go.opentelemetry.io/otel"

	"github.com/hitbox-go/hitbox/internal/lifecycle"
)

func main() {
	ctx := lifecycle.SignalContext() // a second signal kills the process at once
	// go-redis logs through one process-wide logger, and OpenTelemetry's
	// SDK reports its errors to one process-wide handler: set once, here.
	rlog := installRedisLogger()
	otel.SetErrorHandler(rlog)
	os.Exit(exitCode(runWith(ctx, os.Args[1:], os.Stdout, os.Stderr, rlog)))
}
