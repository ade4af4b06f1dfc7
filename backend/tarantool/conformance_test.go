package tarantool

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tarantool/go-tarantool/v3"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/backendtest"
	"github.com/hitbox-go/hitbox/internal/tarantooltest"
)

// spaces numbers the spaces of the backends the tests make, so that
// backends sharing a server never share entries.
var spaces atomic.Int64

// newBackend returns a Backend on s made from o, with a space of its own
// unless o names one, closed by t.Cleanup, once it answers. Without a
// Timeout in o, requests get a generous one: the tests that are not about
// timeouts must pass on a busy machine under the race detector.
func newBackend(t testing.TB, s *tarantooltest.Server, o Options) *Backend {
	t.Helper()
	o.Address, o.User, o.Password = s.Addr, tarantooltest.User, tarantooltest.Password
	if o.Timeout == 0 {
		o.Timeout = 20 * time.Second
	}
	if o.Space == "" {
		o.Space = fmt.Sprintf("test%d", spaces.Add(1))
	}
	b, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	eventually(t, "the backend connects", func() bool { return b.Ping(t.Context()) == nil })
	return b
}

// eventually polls cond until it holds, failing t after 30s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// writeRaw stores raw as the value of key's tuple, bypassing the Codec.
func writeRaw(t testing.TB, b *Backend, key string, value any) {
	t.Helper()
	c, space, err := b.pick()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(tarantool.NewReplaceRequest(space).Tuple([]any{key, int64(never), value})).Get(); err != nil {
		t.Fatalf("raw replace: %v", err)
	}
}

// readRaw returns the value of key's tuple, or nil.
func readRaw(t testing.TB, b *Backend, key string) []byte {
	t.Helper()
	c, space, err := b.pick()
	if err != nil {
		t.Fatal(err)
	}
	var res tuples
	if err := c.Do(tarantool.NewSelectRequest(space).Index(primaryIndex).Key(&keyArg{key})).GetTyped(&res); err != nil {
		t.Fatalf("raw select: %v", err)
	}
	if len(res.list) == 0 {
		return nil
	}
	return res.list[0].value
}

// conformance runs the conformance suite on backends made from base on s,
// with values up to maxValue bytes (0: the suite's 16 MiB).
func conformance(t *testing.T, s *tarantooltest.Server, base Options, maxValue int) {
	t.Helper()
	backendtest.Run(t, func(t *testing.T, now func() time.Time) backend.Backend {
		o := base
		o.Now = now
		return newBackend(t, s, o)
	}, backendtest.Options{
		MaxValueSize: maxValue,
		WriteRaw: func(t *testing.T, b backend.Backend, key string, raw []byte) {
			writeRaw(t, b.(*Backend), key, raw)
		},
		ReadRaw: func(t *testing.T, b backend.Backend, key string) []byte {
			return readRaw(t, b.(*Backend), key)
		},
	})
}

func TestConformance(t *testing.T) {
	t.Parallel()
	s := tarantooltest.Start(t)
	conformance(t, s, Options{}, 4<<20)
}

// TestConformanceCompressed stores the suite's largest values (16 MiB) as
// compressed MessagePack; the JSON run stops at 4 MiB.
func TestConformanceCompressed(t *testing.T) {
	t.Parallel()
	s := tarantooltest.Start(t)
	conformance(t, s, Options{Codec: backend.Codec{Format: backend.FormatMsgPack, Compression: backend.CompressionZstd}, SweepInterval: 10 * time.Millisecond}, 0)
}

// evalRequest is an eval of code with no arguments.
func evalRequest(code string) tarantool.EvalRequest {
	return tarantool.NewEvalRequest(code).Args([]any{})
}
