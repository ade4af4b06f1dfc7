// Package lifecycle holds what the closable parts of hitbox (stores,
// compositions, the flow) share to track their goroutines and to close
// under a context: [Group] counts work in flight, refuses new work once
// closed and waits for the rest; [Await] bounds a blocking close by a
// context; [SignalContext] is when the commands (hitboxd, the soak) shut
// down.
package lifecycle

import (
	"context"
	"fmt"
	"sync"
)

// Group tracks work in flight. Unlike a sync.WaitGroup, work may start
// while someone waits (the waiter returns once the count reaches zero),
// and a closed Group refuses new work. The zero Group is ready to use.
type Group struct {
	mu     sync.Mutex // guards everything below
	n      int
	idle   chan struct{} // closed when n drops to zero; nil while n == 0
	closed bool
}

// Add counts one piece of work in flight, and reports false (counting
// nothing) once the Group is closed.
func (g *Group) Add() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	if g.n == 0 {
		g.idle = make(chan struct{})
	}
	g.n++
	return true
}

// Done ends one piece of work counted by Add.
func (g *Group) Done() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n--
	if g.n == 0 {
		close(g.idle)
		g.idle = nil
	}
}

// Go runs fn on a new goroutine counted in the Group, and reports false
// (running nothing) once the Group is closed.
func (g *Group) Go(fn func()) bool {
	if !g.Add() {
		return false
	}
	go func() {
		defer g.Done()
		fn()
	}()
	return true
}

// Close makes the Group refuse new work, and reports whether this call
// closed it (false: it was closed already).
func (g *Group) Close() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	was := g.closed
	g.closed = true
	return !was
}

// Closed reports whether Close was called.
func (g *Group) Closed() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.closed
}

// Wait waits until no work is in flight, or until ctx ends (then it
// returns ctx.Err()).
func (g *Group) Wait(ctx context.Context) error {
	g.mu.Lock()
	idle := g.idle
	g.mu.Unlock()
	if idle == nil {
		return nil
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Await runs fn on a new goroutine and waits for it until ctx ends: it
// returns fn's error, or ctx.Err() when ctx ends first (fn then runs to its
// end in the background). A nil ctx is context.Background().
func Await(ctx context.Context, fn func() error) error {
	if ctx == nil {
		ctx = context.Background()
	}
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// CloseWith is the end of a store's Close: it waits for g's work and runs
// finish (closing a client, a file...) on a new goroutine, until ctx ends,
// and names the store (label) in the error it returns.
func CloseWith(ctx context.Context, label string, g *Group, finish func() error) error {
	err := Await(ctx, func() error {
		_ = g.Wait(context.Background())
		return finish()
	})
	if err != nil {
		return fmt.Errorf("%s: close: %w", label, err)
	}
	return nil
}
