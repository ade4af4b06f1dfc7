package config

import (
	"net"
	"strings"
	"testing"
)

// TestListenAndAdminListen: the admin API may not take the proxy's
// address, except port 0, where each listener gets a free port of its own.
func TestListenAndAdminListen(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		listen, admin string
		clash         bool
	}{
		{name: "same fixed port", listen: "127.0.0.1:8080", admin: "127.0.0.1:8080", clash: true},
		{name: "same fixed port, IPv6", listen: "[::1]:9000", admin: "[::1]:9000", clash: true},
		{name: "same host, other port", listen: "127.0.0.1:8080", admin: "127.0.0.1:8081"},
		{name: "port 0 twice", listen: "127.0.0.1:0", admin: "127.0.0.1:0"},
		{name: "port 0 spelled 00", listen: "127.0.0.1:00", admin: "127.0.0.1:00"},
		{name: "port 0, no host", listen: ":0", admin: ":0"},
		{name: "port 0 and a fixed port", listen: "127.0.0.1:0", admin: "127.0.0.1:8081"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := "upstream: http://127.0.0.1:3000\nlisten: \"" + tt.listen + "\"\nadmin: {listen: \"" + tt.admin + "\"}\n"
			f, _, err := Parse("hitboxd.yaml", []byte(src))
			if tt.clash {
				if err == nil || !strings.Contains(err.Error(), "admin.listen: admin.listen \""+tt.admin+"\" is the proxy's listen address too") {
					t.Fatalf("Parse = %v, want the clash reported", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse = %v, want no error", err)
			}
			if f.Listen != tt.listen || f.Admin.Listen != tt.admin {
				t.Errorf("listen %q, admin %q; want %q, %q", f.Listen, f.Admin.Listen, tt.listen, tt.admin)
			}
		})
	}
}

// TestPortZeroListensTwice: what the exemption relies on: two listeners
// on port 0 of one host get two different ports.
func TestPortZeroListensTwice(t *testing.T) {
	t.Parallel()
	f, _, err := Parse("hitboxd.yaml", []byte("upstream: http://127.0.0.1:3000\nlisten: 127.0.0.1:0\nadmin: {listen: 127.0.0.1:0}\n"))
	if err != nil {
		t.Fatal(err)
	}
	proxy, err := net.Listen("tcp", f.Listen)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	admin, err := net.Listen("tcp", f.Admin.Listen)
	if err != nil {
		t.Fatalf("the admin listener on %s: %v", f.Admin.Listen, err)
	}
	defer admin.Close()
	if proxy.Addr().String() == admin.Addr().String() {
		t.Errorf("both listeners on %s", proxy.Addr())
	}
}
