package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop) // a second signal kills the process at once
	// go-redis logs through one process-wide logger: set once, here.
	os.Exit(exitCode(runWith(ctx, os.Args[1:], os.Stdout, os.Stderr, installRedisLogger())))
}
