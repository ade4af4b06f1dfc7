package tarantool

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"time"

	"github.com/tarantool/go-iproto"
	"github.com/tarantool/go-tarantool/v3"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/hitbox-go/hitbox/backend"
)

// dialer connects one of the Backend's connections: go-tarantool's
// NetDialer (greeting and authentication), then the space is ensured
// (created when missing, its ID read) on the new connection before it
// serves any request. go-tarantool dials through it for the first
// connection and for every reconnection, so a server that comes back
// empty, or whose space got another ID, never receives a request for an
// old ID.
type dialer struct {
	b   *Backend
	net tarantool.NetDialer
}

// Dial implements [tarantool.Dialer].
func (d dialer) Dial(_ context.Context, opts tarantool.DialOpts) (tarantool.Conn, error) {
	// go-tarantool gives each attempt half the reconnect interval, which
	// a loaded machine may need more than, and bounds each read and
	// write by the request timeout. An attempt gets ioTimeout instead,
	// ended by Close, and a connection is dropped after that long a
	// silence, so that a busy machine that delays the pings (every
	// Timeout/3) does not drop a healthy one.
	attempt := ioTimeout(d.b.timeout)
	if attempt == 0 {
		attempt = minIOTimeout
	}
	ctx, cancel := context.WithTimeout(d.b.bg, attempt)
	defer cancel()
	opts.IoTimeout = ioTimeout(d.b.timeout)
	c, err := d.net.Dial(ctx, opts)
	if err != nil {
		d.b.dialFailed(err)
		return nil, err
	}
	id, err := ensureSpace(ctx, c, d.b.space)
	if err != nil {
		_ = c.Close()
		err = fmt.Errorf("space %q: %w", d.b.space, err)
		d.b.dialFailed(err)
		return nil, err
	}
	d.b.spaceID.Store(id)
	d.b.dialErr.Store(nil)
	return c, nil
}

// minIOTimeout is the shortest silence after which a connection is
// dropped and dialed again.
const minIOTimeout = 2 * time.Second

// ioTimeout returns the silence after which a connection is dropped, and
// how long a connection attempt may take: four request timeouts, at least
// [minIOTimeout] (the attempt gets minIOTimeout without a request
// timeout, and the connection no limit).
func ioTimeout(timeout time.Duration) time.Duration {
	if timeout <= 0 {
		return 0
	}
	return max(4*timeout, minIOTimeout)
}

// ensureSpace runs ensureLua on c, a connection no Connection uses yet, and
// returns the space's ID.
func ensureSpace(ctx context.Context, c tarantool.Conn, space string) (uint32, error) {
	data, err := rawEval(ctx, c, ensureLua, []any{space})
	if err != nil {
		return 0, err
	}
	if len(data) == 0 {
		return 0, errors.New("ensure: empty reply")
	}
	id, ok := toUint32(data[0])
	if !ok {
		return 0, fmt.Errorf("ensure: space ID %v (%T)", data[0], data[0])
	}
	return id, nil
}

// toUint32 converts a positive integer msgpack decoded into an interface
// (of any integer type) to a uint32, and reports false for anything else.
func toUint32(v any) (uint32, bool) {
	rv := reflect.ValueOf(v)
	var n uint64
	switch {
	case rv.CanInt():
		if rv.Int() <= 0 {
			return 0, false
		}
		n = uint64(rv.Int())
	case rv.CanUint():
		n = rv.Uint()
	default:
		return 0, false
	}
	if n == 0 || n > math.MaxUint32 {
		return 0, false
	}
	return uint32(n), true
}

// rawEval sends one IPROTO_EVAL on c and reads its reply, as go-tarantool's
// dialers do for authentication: the connection is not a Connection yet.
// ctx ending closes c.
func rawEval(ctx context.Context, c tarantool.Conn, expr string, args []any) ([]any, error) {
	const sync = 1
	var body bytes.Buffer
	enc := msgpack.NewEncoder(&body)
	err := errors.Join(
		enc.EncodeMapLen(2),
		enc.EncodeUint(uint64(iproto.IPROTO_REQUEST_TYPE)), enc.EncodeUint(uint64(iproto.IPROTO_EVAL)),
		enc.EncodeUint(uint64(iproto.IPROTO_SYNC)), enc.EncodeUint(sync),
		tarantool.NewEvalRequest(expr).Args(args).Body(nil, enc),
	)
	if err != nil {
		return nil, fmt.Errorf("encode eval: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = c.Close() })
	data, err := roundTrip(c, body.Bytes())
	if !stop() {
		// ctx ended, and c is closed or being closed.
		return nil, fmt.Errorf("eval: %w", context.Cause(ctx))
	}
	return data, err
}

// roundTrip writes the packet body (a header and a request body) and
// reads the reply's data.
func roundTrip(c tarantool.Conn, body []byte) ([]any, error) {
	var head [5]byte
	head[0] = 0xce
	binary.BigEndian.PutUint32(head[1:], uint32(len(body)))
	if _, err := c.Write(head[:]); err != nil {
		return nil, fmt.Errorf("write eval: %w", err)
	}
	if _, err := c.Write(body); err != nil {
		return nil, fmt.Errorf("write eval: %w", err)
	}
	if err := c.Flush(); err != nil {
		return nil, fmt.Errorf("write eval: %w", err)
	}
	if _, err := io.ReadFull(c, head[:]); err != nil {
		return nil, fmt.Errorf("read eval reply: %w", err)
	}
	if head[0] != 0xce {
		return nil, errors.New("read eval reply: bad length prefix")
	}
	reply := make([]byte, binary.BigEndian.Uint32(head[1:]))
	if _, err := io.ReadFull(c, reply); err != nil {
		return nil, fmt.Errorf("read eval reply: %w", err)
	}
	rd := bytes.NewReader(reply)
	header, err := decodeHeader(msgpack.NewDecoder(rd))
	if err != nil {
		return nil, fmt.Errorf("read eval reply: %w", err)
	}
	resp, err := tarantool.DecodeBaseResponse(header, rd)
	if err != nil {
		return nil, fmt.Errorf("read eval reply: %w", err)
	}
	return resp.Decode()
}

// decodeHeader reads an IPROTO reply header.
func decodeHeader(d *msgpack.Decoder) (tarantool.Header, error) {
	h := tarantool.Header{Error: tarantool.ErrorNo}
	n, err := d.DecodeMapLen()
	if err != nil {
		return h, err
	}
	for range max(n, 0) {
		k, err := d.DecodeUint64()
		if err != nil {
			return h, err
		}
		switch iproto.Key(k) {
		case iproto.IPROTO_REQUEST_TYPE:
			code, err := d.DecodeUint64()
			if err != nil {
				return h, err
			}
			if code&uint64(iproto.IPROTO_TYPE_ERROR) != 0 {
				h.Error = iproto.Error(code &^ uint64(iproto.IPROTO_TYPE_ERROR))
			}
		case iproto.IPROTO_SYNC:
			id, err := d.DecodeUint64()
			if err != nil {
				return h, err
			}
			h.RequestId = uint32(id)
		default:
			if err := d.Skip(); err != nil {
				return h, err
			}
		}
	}
	return h, nil
}

// connect makes connection i of the pool: it tries until it connects or
// Close cancels b.bg, then keeps the connection, which reconnects by
// itself from then on.
func (b *Backend) connect(i int) {
	for {
		c, err := tarantool.Connect(b.bg, b.dialer, tarantool.Opts{
			Timeout:    b.timeout,
			Reconnect:  b.reconnect,
			SkipSchema: true, // requests name the space and indexes by ID
		})
		if err == nil {
			b.keep(i, c)
			return
		}
		// go-tarantool retries by itself until b.bg ends; anything
		// else is tried again after a pause.
		select {
		case <-b.bg.Done():
			return
		case <-time.After(b.reconnect):
		}
	}
}

// keep stores connection c as the pool's i-th, or closes it when the
// Backend was closed meanwhile.
func (b *Backend) keep(i int, c *tarantool.Connection) {
	b.mu.Lock()
	closed := b.closed.Load()
	if !closed {
		b.conns[i].Store(c)
	}
	b.mu.Unlock()
	if closed {
		_ = c.Close()
	}
}

// dialFailed records why the last connection attempt failed, for the
// errors of the calls made while no connection is up.
func (b *Backend) dialFailed(err error) { b.dialErr.Store(&err) }

// pick returns a connected connection, the pool's connections taken in
// turn, and the space's ID; or an error wrapping [backend.ErrUnavailable]
// with the last connection error when none is connected.
func (b *Backend) pick() (*tarantool.Connection, uint32, error) {
	n := uint32(len(b.conns))
	start := b.next.Add(1)
	for i := range n {
		c := b.conns[(start+i)%n].Load()
		if c != nil && c.ConnectedNow() {
			return c, b.spaceID.Load(), nil
		}
	}
	cause := errors.New("no connection up")
	if p := b.dialErr.Load(); p != nil {
		cause = *p
	}
	return nil, 0, fmt.Errorf("%w: not connected to %s: %w", backend.ErrUnavailable, b.address, cause)
}
