package redis

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

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
		{"pool above the bound", Options{URL: "redis://127.0.0.1:1", PoolSize: MaxPoolSize + 1}, "PoolSize 10001: at most 10000"},
		{"huge pool, cluster", Options{Addrs: []string{"127.0.0.1:1"}, PoolSize: 1 << 40}, "PoolSize"},
		{"huge pool, sentinel", Options{MasterName: "m", SentinelAddrs: []string{"127.0.0.1:1"}, PoolSize: 1 << 31}, "PoolSize"},
		{"URL pool_size above the bound", Options{URL: "redis://127.0.0.1:1/?pool_size=10001"}, "pool_size=10001"},
		{"URL pool_size beyond int32", Options{URL: "redis://127.0.0.1:1/?pool_size=99999999999"}, "pool_size"},
		{"URL pool_size that would exhaust memory", Options{URL: "redis://127.0.0.1:1/?pool_size=2000000000"}, "pool_size"},
		{"URL negative pool_size", Options{URL: "redis://127.0.0.1:1/?pool_size=-5"}, "pool_size=-5"},
		{"URL pool_size with a bounded PoolSize", Options{URL: "redis://127.0.0.1:1/?pool_size=-5", PoolSize: 8}, "pool_size=-5"},
		{"URL min_idle_conns", Options{URL: "redis://127.0.0.1:1/?min_idle_conns=99999999999"}, "min_idle_conns"},
		{"URL negative max_idle_conns", Options{URL: "redis://127.0.0.1:1/?max_idle_conns=-1"}, "max_idle_conns"},
		{"URL max_active_conns", Options{URL: "redis://127.0.0.1:1/?max_active_conns=99999999999"}, "max_active_conns"},
		{"URL max_concurrent_dials", Options{URL: "redis://127.0.0.1:1/?max_concurrent_dials=-3"}, "max_concurrent_dials"},
		{"URL pipeline_pool_size", Options{URL: "redis://127.0.0.1:1/?pipeline_pool_size=99999999999"}, "pipeline_pool_size"},
		{"URL pipeline_pool_size below -1", Options{URL: "redis://127.0.0.1:1/?pipeline_pool_size=-7"}, "pipeline_pool_size"},
		{"URL pipeline buffer", Options{URL: "redis://127.0.0.1:1/?pipeline_read_buffer_size=99999999999"}, "pipeline_read_buffer_size"},
		{"URL negative pipeline buffer", Options{URL: "redis://127.0.0.1:1/?pipeline_write_buffer_size=-1"}, "pipeline_write_buffer_size"},
		{"URL protocol", Options{URL: "redis://127.0.0.1:1/?protocol=9"}, "protocol 9"},
		{"URL negative db", Options{URL: "redis://127.0.0.1:1/?db=-1"}, "negative db"},
		{"URL option not a number", Options{URL: "redis://127.0.0.1:1/?pool_size=many"}, "pool_size"},
		{"URL unknown option", Options{URL: "redis://127.0.0.1:1/?pool=3"}, "unexpected option"},
		{"URL port out of range", Options{URL: "redis://127.0.0.1:99999/0"}, `port "99999" is not a number from 1 to 65535`},
		{"URL port zero", Options{URL: "redis://127.0.0.1:0/0"}, `port "0"`},
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
				b.Close(context.Background())
				t.Fatalf("New(%+v) = nil error, want one mentioning %q", tt.o, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New(%+v) = %v, want an error mentioning %q", tt.o, err, tt.want)
			}
		})
	}
}

// TestValidateNamesTheField: Validate refuses what New refuses, with a
// *backend.OptionError naming the field at fault, and hides the URL's
// password.
func TestValidateNamesTheField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		o          Options
		field, not string
	}{
		{Options{URL: "http://u:pw@127.0.0.1:1"}, "URL", "pw"},
		{Options{URL: "redis://u:pw@h:x/0"}, "URL", "pw"},
		{Options{URL: "redis://127.0.0.1:1/db1"}, "URL", ""},
		{Options{Addrs: []string{"127.0.0.1:1", ""}}, "Addrs", ""},
		{Options{MasterName: "m", SentinelAddrs: []string{""}}, "SentinelAddrs", ""},
		{Options{URL: "redis://127.0.0.1:1", PoolSize: -1}, "PoolSize", ""},
		{Options{URL: "redis://127.0.0.1:1", Prefix: "lock:"}, "Prefix", ""},
		{Options{URL: "redis://127.0.0.1:1", Prefix: "a:", LockPrefix: "a:l:"}, "LockPrefix", ""},
		{Options{URL: "redis://127.0.0.1:1", Prefix: "a:", TagsKey: "a:tags"}, "TagsKey", ""},
		{Options{URL: "redis://127.0.0.1:1", Codec: backend.Codec{Format: 99}}, "Codec", ""},
		{Options{URL: "redis://127.0.0.1:1", TagRetention: -time.Second}, "TagRetention", ""},
		{Options{URL: "redis://u:pw@127.0.0.1:1", Password: "other"}, "URL", "pw"},
		{Options{URL: "redis://:pw@127.0.0.1:1", Username: "u"}, "URL", "pw"},
	}
	for _, tt := range tests {
		err := tt.o.Validate()
		var oe *backend.OptionError
		if !errors.As(err, &oe) || oe.Field != tt.field {
			t.Errorf("Validate(%+v) = %v, want an OptionError for %s", tt.o, err, tt.field)
			continue
		}
		if tt.not != "" && strings.Contains(err.Error(), tt.not) {
			t.Errorf("Validate(%+v) = %v: shows the password", tt.o, err)
		}
	}
	if err := (Options{URL: "redis://127.0.0.1:1/3"}).Validate(); err != nil {
		t.Errorf("Validate of a valid URL = %v", err)
	}
}

// TestNewAcceptsBoundedOptions: the bounds of the connection settings
// are inclusive, and the URL's other query options pass.
func TestNewAcceptsBoundedOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		o    Options
	}{
		{"PoolSize at the bound", Options{URL: "redis://127.0.0.1:1", PoolSize: MaxPoolSize}},
		{"cluster PoolSize at the bound", Options{Addrs: []string{"127.0.0.1:1"}, PoolSize: MaxPoolSize}},
		{"URL counts at the bounds", Options{URL: "redis://127.0.0.1:1/?pool_size=10000&min_idle_conns=0&max_idle_conns=10000&max_active_conns=10000&max_concurrent_dials=10000"}},
		{"URL without a pipeline pool", Options{URL: "redis://127.0.0.1:1/?pipeline_pool_size=-1&pipeline_read_buffer_size=16777216"}},
		{"URL timeouts, db and protocol", Options{URL: "redis://127.0.0.1:1/3?dial_timeout=3s&read_timeout=-1&protocol=2"}},
		{"unix socket", Options{URL: "unix:///tmp/none.sock?db=2&pool_size=4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := New(tt.o)
			if err != nil {
				t.Fatalf("New(%+v) = %v, want no error", tt.o, err)
			}
			if err := b.Close(context.Background()); err != nil {
				t.Fatalf("Close = %v", err)
			}
		})
	}
}

// FuzzNewURL: whatever the URL's path and query say, New returns an error
// or a Backend, never panics. The host stays a closed loopback port: a
// Backend may dial in the background (min_idle_conns).
func FuzzNewURL(f *testing.F) {
	for _, q := range []string{
		"", "?pool_size=99999999999", "?pool_size=-5", "2?min_idle_conns=3&max_active_conns=2", "?protocol=3&db=1",
		"?pipeline_pool_size=-1&pipeline_write_buffer_size=1", "?dial_timeout=1ms&read_timeout=-2&conn_max_lifetime=-1s",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		b, err := New(Options{URL: "redis://127.0.0.1:1/" + q, MaxRetries: -1})
		if err != nil {
			return
		}
		if err := b.Close(context.Background()); err != nil {
			t.Fatalf("Close = %v", err)
		}
	})
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
	if err := b.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(context.Background()); err != nil {
		t.Errorf("second Close = %v, want nil (idempotent)", err)
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

// TestURLTakesUsernameAndPassword: Options.Password authenticates to the
// server of a URL without credentials.
func TestURLTakesUsernameAndPassword(t *testing.T) {
	srv := redistest.Start(t)
	if _, err := srv.Do("CONFIG", "SET", "requirepass", "s3cret"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		password string
		ok       bool
	}{{"s3cret", true}, {"wrong", false}} {
		b, err := New(Options{URL: srv.URL(), Password: tt.password, Breaker: BreakerOptions{Disabled: true}})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Ping(context.Background()); (err == nil) != tt.ok {
			t.Errorf("Ping with password %q = %v, want success %v", tt.password, err, tt.ok)
		}
		if err := b.Close(context.Background()); err != nil {
			t.Errorf("Close = %v", err)
		}
	}
}
