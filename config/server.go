package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/hitbox-go/hitbox/internal/bytesize"
)

// Defaults of the proxy's limits and timeouts (docs/config.md).
const (
	defaultUpstreamTimeout = 60 * time.Second
	// DefaultMaxBody is the default max_body: 8 MiB.
	DefaultMaxBody = 8 << 20
	// DefaultMaxInflightBytes is the default max_inflight_bytes: 64 MiB.
	DefaultMaxInflightBytes = 64 << 20
)

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
	f.MaxBody = DefaultMaxBody
	f.MaxInflightBytes = DefaultMaxInflightBytes
	f.Timeouts = defaultTimeouts()
	set(fs, "upstream_timeout", &f.UpstreamTimeout, d.positiveDuration)
	set(fs, "max_body", &f.MaxBody, d.size)
	set(fs, "max_inflight_bytes", &f.MaxInflightBytes, d.size)
	if e, ok := fs["timeouts"]; ok {
		d.timeouts(e.val, e.path, &f.Timeouts)
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

func (d *decoder) timeouts(n *node, path string, t *Timeouts) {
	fs, ok := d.fields(n, path, "a mapping (request_header, body_idle, keep_alive)", true,
		"request_header", "body_idle", "keep_alive")
	if !ok {
		return
	}
	set(fs, "request_header", &t.RequestHeader, d.positiveDuration)
	set(fs, "body_idle", &t.BodyIdle, d.positiveDuration)
	set(fs, "keep_alive", &t.KeepAlive, d.positiveDuration)
}

// dumpServer writes the limits and timeouts that are not the defaults.
func dumpServer(w *strings.Builder, f *File) {
	if f.UpstreamTimeout != defaultUpstreamTimeout {
		fmt.Fprintf(w, "upstream_timeout: %s\n", durationText(f.UpstreamTimeout))
	}
	if f.MaxBody != DefaultMaxBody {
		fmt.Fprintf(w, "max_body: %s\n", bytesize.Format(f.MaxBody))
	}
	if f.MaxInflightBytes != DefaultMaxInflightBytes {
		fmt.Fprintf(w, "max_inflight_bytes: %s\n", bytesize.Format(f.MaxInflightBytes))
	}
	if f.Timeouts != defaultTimeouts() {
		fmt.Fprintf(w, "timeouts: request_header=%s body_idle=%s keep_alive=%s\n",
			durationText(f.Timeouts.RequestHeader), durationText(f.Timeouts.BodyIdle), durationText(f.Timeouts.KeepAlive))
	}
}
