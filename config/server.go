package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/hitbox-go/hitbox/httpcache"
	"github.com/hitbox-go/hitbox/internal/bytesize"
)

// defaultUpstreamTimeout is upstream_timeout's default (docs/config.md);
// max_body and max_inflight_bytes default to httpcache's DefaultMaxBody
// and DefaultInflightBudget.
const defaultUpstreamTimeout = 60 * time.Second

// Timeouts are the `timeouts` section: how long the proxy waits for its
// clients and for bodies (docs/config.md).
type Timeouts struct {
	// RequestHeader bounds the arrival of a request's line and headers
	// (request_header, default 10s).
	RequestHeader time.Duration
	// BodyIdle is how long a body transfer may pause (body_idle, default
	// 60s).
	BodyIdle time.Duration
	// KeepAlive closes idle client connections (keep_alive, default 2m).
	KeepAlive time.Duration
}

func defaultTimeouts() Timeouts {
	return Timeouts{RequestHeader: 10 * time.Second, BodyIdle: 60 * time.Second, KeepAlive: 2 * time.Minute}
}

// serverFields are the file-level keys decodeServer reads.
var serverFields = []string{"upstream_timeout", "max_body", "max_inflight_bytes", "timeouts"}

// decodeServer reads the file-level limits and timeouts of fs into f.
func (d *decoder) decodeServer(f *File, fs map[string]entry) {
	f.UpstreamTimeout = defaultUpstreamTimeout
	f.MaxBody = httpcache.DefaultMaxBody
	f.MaxInflightBytes = httpcache.DefaultInflightBudget
	f.Timeouts = defaultTimeouts()
	set(fs, "upstream_timeout", &f.UpstreamTimeout, d.positiveDuration)
	set(fs, "max_body", &f.MaxBody, d.size)
	set(fs, "max_inflight_bytes", &f.MaxInflightBytes, d.size)
	if e, ok := fs["timeouts"]; ok {
		ts, _ := d.fields(e.val, e.path, "a mapping (request_header, body_idle, keep_alive)", true, "request_header", "body_idle", "keep_alive")
		set(ts, "request_header", &f.Timeouts.RequestHeader, d.positiveDuration)
		set(ts, "body_idle", &f.Timeouts.BodyIdle, d.positiveDuration)
		set(ts, "keep_alive", &f.Timeouts.KeepAlive, d.positiveDuration)
	}
	if f.MaxInflightBytes < f.MaxBody {
		e := fs["max_inflight_bytes"]
		if e.val == nil {
			e = fs["max_body"]
		}
		d.fail(e.val, e.path, ErrValue, "max_inflight_bytes %s is less than max_body %s: no response of the largest size could be buffered",
			bytesize.Format(f.MaxInflightBytes), bytesize.Format(f.MaxBody))
	}
}

// dumpServer writes the limits and timeouts that are not the defaults.
func dumpServer(w *strings.Builder, f *File) {
	if f.UpstreamTimeout != defaultUpstreamTimeout {
		fmt.Fprintf(w, "upstream_timeout: %s\n", f.UpstreamTimeout)
	}
	if f.MaxBody != httpcache.DefaultMaxBody {
		fmt.Fprintf(w, "max_body: %s\n", bytesize.Format(f.MaxBody))
	}
	if f.MaxInflightBytes != httpcache.DefaultInflightBudget {
		fmt.Fprintf(w, "max_inflight_bytes: %s\n", bytesize.Format(f.MaxInflightBytes))
	}
	if t := f.Timeouts; t != defaultTimeouts() {
		fmt.Fprintf(w, "timeouts: request_header=%s body_idle=%s keep_alive=%s\n", t.RequestHeader, t.BodyIdle, t.KeepAlive)
	}
}
