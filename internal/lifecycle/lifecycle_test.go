package lifecycle_test

import (
	"context"
	"errors"
	"testing"

	"github.com/hitbox-go/hitbox/internal/lifecycle"
)

func TestGroup(t *testing.T) {
	t.Parallel()
	var g lifecycle.Group
	if err := g.Wait(t.Context()); err != nil {
		t.Fatalf("Wait on an idle Group = %v", err)
	}
	release := make(chan struct{})
	ran := make(chan struct{})
	if !g.Go(func() { <-release; close(ran) }) {
		t.Fatal("Go on an open Group = false")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := g.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait with work in flight and an ended context = %v, want Canceled", err)
	}
	if !g.Close() || g.Close() || !g.Closed() {
		t.Fatal("Close must report true once, then false, and Closed true")
	}
	if g.Go(func() { t.Error("ran on a closed Group") }) || g.Add() {
		t.Fatal("a closed Group accepted work")
	}
	close(release)
	if err := g.Wait(t.Context()); err != nil {
		t.Fatalf("Wait = %v", err)
	}
	select {
	case <-ran:
	default:
		t.Fatal("Wait returned before the work ended")
	}
}

func TestAwait(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	if err := lifecycle.Await(t.Context(), func() error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("Await = %v, want %v", err, boom)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	block := make(chan struct{})
	defer close(block)
	if err := lifecycle.Await(ctx, func() error { <-block; return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("Await with an ended context = %v, want Canceled", err)
	}
}

func TestCloseWith(t *testing.T) {
	t.Parallel()
	var g lifecycle.Group
	release := make(chan struct{})
	g.Go(func() { <-release })
	finished := make(chan struct{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := lifecycle.CloseWith(ctx, "store", &g, func() error { close(finished); return nil })
	if !errors.Is(err, context.Canceled) || err.Error() != "store: close: context canceled" {
		t.Fatalf("CloseWith with work in flight and an ended context = %v", err)
	}
	close(release)
	<-finished // finish runs once the work ends, in the background
	boom := errors.New("boom")
	if err := lifecycle.CloseWith(t.Context(), "store", &g, func() error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("CloseWith = %v, want %v", err, boom)
	}
}
