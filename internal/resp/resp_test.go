package resp

import (
	"bufio"
	"net"
	"reflect"
	"testing"
	"time"
)

// serve answers each connection's first command with reply, and sends the
// command it read to got.
func serve(t *testing.T, reply string, got chan<- string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			r := bufio.NewReader(c)
			buf := make([]byte, 0, 64)
			for len(buf) < 4 || string(buf[len(buf)-4:]) != "PING" {
				b, err := r.ReadByte()
				if err != nil {
					break
				}
				buf = append(buf, b)
			}
			got <- string(buf)
			_, _ = c.Write([]byte(reply))
			c.Close()
		}
	}()
	return l.Addr().String()
}

func TestDo(t *testing.T) {
	tests := []struct {
		reply   string
		want    any
		wantErr bool
	}{
		{"+PONG\r\n", "PONG", false},
		{"-ERR nope\r\n", nil, true},
		{":42\r\n", int64(42), false},
		{"$3\r\nabc\r\n", "abc", false},
		{"$-1\r\n", nil, false},
		{"*2\r\n+a\r\n:1\r\n", []any{"a", int64(1)}, false},
		{"?\r\n", nil, true},
	}
	for _, tt := range tests {
		got := make(chan string, 1)
		addr := serve(t, tt.reply, got)
		r, err := Do(addr, 5*time.Second, "PING")
		if (err != nil) != tt.wantErr || !reflect.DeepEqual(r, tt.want) {
			t.Errorf("reply %q: Do = %#v, %v; want %#v, error %v", tt.reply, r, err, tt.want, tt.wantErr)
		}
		if cmd := <-got; cmd != "*1\r\n$4\r\nPING" {
			t.Errorf("reply %q: the server read %q, want *1 $4 PING", tt.reply, cmd)
		}
	}
}
