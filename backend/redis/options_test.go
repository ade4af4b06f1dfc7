package redis

import (
	"context"
	"strings"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/internal/redistest"
)

func TestNewRejectsBadOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"no server", Options{}, "no server"},
		{"url and addrs", Options{URL: "redis://127.0.0.1:1", Addrs: []string{"127.0.0.1:2"}}, "only one"},
		{"master without sentinels", Options{MasterName: "m"}, "go together"},
		{"sentinels without master", Options{SentinelAddrs: []string{"127.0.0.1:1"}}, "go together"},
		{"url scheme", Options{URL: "http://127.0.0.1:1"}, "redis://"},
		{"bad url", Options{URL: "redis://127.0.0.1:1/notadb"}, "URL"},
		{"empty address", Options{Addrs: []string{"127.0.0.1:1", ""}}, "empty address"},
		{"negative pool", Options{URL: "redis://127.0.0.1:1", PoolSize: -1}, "PoolSize"},
		{"negative dial timeout", Options{URL: "redis://127.0.0.1:1", DialTimeout: -1}, "DialTimeout"},
		{"retries", Options{URL: "redis://127.0.0.1:1", MaxRetries: -2}, "MaxRetries"},
		{"breaker timeout", Options{URL: "redis://127.0.0.1:1", Breaker: BreakerOptions{OpenTimeout: -1}}, "OpenTimeout"},
		{"codec", Options{URL: "redis://127.0.0.1:1", Codec: backend.Codec{Format: 99}}, "format"},
		{"lock prefix inside prefix", Options{URL: "redis://127.0.0.1:1", Prefix: "a:", LockPrefix: "a:locks:"}, "overlap"},
		{"prefix inside lock prefix", Options{URL: "redis://127.0.0.1:1", Prefix: "lock:", LockPrefix: "lo"}, "overlap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := New(tt.o)
			if err == nil {
				b.Close()
				t.Fatalf("New(%+v) = nil error, want one mentioning %q", tt.o, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New(%+v) = %v, want an error mentioning %q", tt.o, err, tt.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	b := newBackend(t, Options{URL: "redis://127.0.0.1:1", Prefix: DefaultPrefix})
	tests := []struct {
		name      string
		got, want any
	}{
		{"Label", b.Label(), "redis"},
		{"prefix", b.prefix, DefaultPrefix},
		{"lock prefix", b.lockPrefix, "lock:" + DefaultPrefix},
		{"op timeout", b.opTimeout, DefaultOpTimeout},
		{"expiry margin", b.expiryMargin, DefaultExpiryMargin},
		{"breaker", b.BreakerState(), "closed"},
		{"instance ID set", b.InstanceID() != "", true},
		{"stats label", b.Stats().Label, "redis"},
		{"stats entries", b.Stats().Entries, int64(-1)},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	other := newBackend(t, Options{URL: "redis://127.0.0.1:1"})
	if other.InstanceID() == b.InstanceID() {
		t.Error("two Backends got the same random InstanceID")
	}
}

// TestClientNotClosed checks that a client passed in Options.Client is the
// caller's: the Backend uses it and leaves it open.
func TestClientNotClosed(t *testing.T) {
	t.Parallel()
	s := redistest.Start(t)
	client := goredis.NewClient(&goredis.Options{Addr: s.Addr})
	defer client.Close()
	b, err := New(Options{Client: client, Label: "mine"})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Set(t.Context(), "k", entry("v")); err != nil {
		t.Fatal(err)
	}
	if b.Client() != client || b.Label() != "mine" {
		t.Fatalf("Client() or Label() not as given")
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err == nil {
		t.Error("second Close = nil error, want ErrClosed")
	}
	if _, _, err := b.Get(t.Context(), "k"); err == nil {
		t.Error("Get after Close = nil error")
	}
	if err := client.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("the caller's client after Close: %v", err)
	}
	if err := b.Ping(t.Context()); err == nil {
		t.Error("Ping after Close = nil error")
	}
}

func TestPing(t *testing.T) {
	t.Parallel()
	s := redistest.Start(t)
	b := newBackend(t, Options{URL: s.URL()})
	if err := b.Ping(t.Context()); err != nil {
		t.Fatalf("Ping = %v", err)
	}
	down := newBackend(t, Options{URL: "redis://127.0.0.1:1"})
	if err := down.Ping(t.Context()); err == nil {
		t.Fatal("Ping of a port nobody listens on = nil error")
	}
}
