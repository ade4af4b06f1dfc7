package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"go.opentelemetry.io/otel"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop) // a second signal kills the process at once
	// go-redis logs through one process-wide logger, and OpenTelemetry's
	// SDK reports its errors to one process-wide handler: set once, here.
	rlog := installRedisLogger()
	otel.SetErrorHandler(rlog)
	os.Exit(exitCode(runWith(ctx, os.Args[1:], os.Stdout, os.Stderr, rlog)))
}
