package httpcache

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hitbox-go/hitbox"
)

// trackedBody is a request body that records whether it was read.
type trackedBody struct {
	io.Reader
	reads int
}

func (b *trackedBody) Read(p []byte) (int, error) {
	b.reads++
	return b.Reader.Read(p)
}

func (b *trackedBody) Close() error { return nil }

// TestNoEndpointLeavesBodyUnread: when no endpoint can accept a request
// (none configured, or all Disabled), its body goes to the upstream as the
// client sent it, never read into memory first.
func TestNoEndpointLeavesBodyUnread(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		eps  []Endpoint
	}{
		{name: "no endpoints"},
		{name: "only disabled endpoints", eps: []Endpoint{{Policy: hitbox.Disabled()}, {Name: "off", Policy: hitbox.Disabled()}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			body := &trackedBody{Reader: strings.NewReader("payload")}
			var got io.ReadCloser
			var readsBefore int
			var data []byte
			next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got, readsBefore = r.Body, body.reads
				data, _ = io.ReadAll(r.Body)
				_, _ = io.WriteString(w, "ok")
			})
			h := e.middleware(t, next, tt.eps)
			r := httptest.NewRequest(http.MethodPost, "/x", nil)
			r.Body, r.ContentLength = body, int64(len("payload"))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if got != io.ReadCloser(body) || readsBefore != 0 {
				t.Errorf("upstream got body %T after %d reads, want the client's body unread", got, readsBefore)
			}
			if string(data) != "payload" {
				t.Errorf("upstream read %q, want %q", data, "payload")
			}
			if cs := w.Header().Get("Cache-Status"); cs != csBypass200 {
				t.Errorf("Cache-Status %q, want %q", cs, csBypass200)
			}
		})
	}
}
