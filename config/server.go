package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/hitbox-go/hitbox/internal/bytesize"
)

// Defaults of the proxy's limits and timeouts (docs/config.md).
const (
	// defaultUpstreamTimeout is how long the upstream may take to answer
	// when neither the endpoint nor the file says (upstream_timeout).
	defaultUpstreamTimeout = 60 * time.Second
	// DefaultMaxBody is the largest response body buffered and stored
	// (max_body): 8 MiB.
	DefaultMaxBody = 8 << 20
	// DefaultMaxInflightBytes bounds the bytes buffered at once for the
	// cache across all requests (max_inflight_bytes): 64 MiB.
	DefaultMaxInflightBytes = 64 << 20
	// defaultRequestHeaderTimeout bounds the arrival of a client's request
	// line and headers (timeouts.request_header).
	defaultRequestHeaderTimeout = 10 * time.Second
	// defaultBodyIdleTimeout is how long a body transfer may pause
	// (timeouts.body_idle).
	defaultBodyIdleTimeout = 60 * time.Second
	// defaultKeepAliveTimeout closes idle client connections
	// (timeouts.keep_alive).
	defaultKeepAliveTimeout = 2 * time.Minute
)

// Timeouts are the `timeouts` section: how long the proxy waits for its
// clients and for bodies. None bounds a whole transfer: a body may take
// any time as long as it keeps moving.
type Timeouts struct {
	// RequestHeader bounds the arrival of a request's line and headers,
	// against clients that send them slowly (request_header, default
	// 10s).
	RequestHeader time.Duration
	// BodyIdle is how long a body may pause: between two reads of a
	// client's request body, between two writes of a response to a
	// client, and between two reads of the upstream's response body
	// (body_idle, default 60s).
	BodyIdle time.Duration
	// KeepAlive closes a client connection idle this long between
	// requests (keep_alive, default 2m).
	KeepAlive time.Duration
}

// defaultTimeouts returns the timeouts of a file without `timeouts`.
func defaultTimeouts() Timeouts {
	return Timeouts{RequestHeader: defaultRequestHeaderTimeout, BodyIdle: defaultBodyIdleTimeout, KeepAlive: defaultKeepAliveTimeout}
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

// endpointTimeouts gives the endpoints that set no upstream_timeout the
// file's.
func (f *File) endpointTimeouts() {
	for _, ep := range f.Endpoints {
		if ep.UpstreamTimeout == 0 {
			ep.UpstreamTimeout = f.UpstreamTimeout
		}
	}
}

// dumpServer writes the file-level limits and timeouts that differ from
// their defaults (a file that does not set them dumps as before).
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
