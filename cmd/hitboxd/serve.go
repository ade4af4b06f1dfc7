package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/trace"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/backend"
	"github.com/hitbox-go/hitbox/backend/redis"
	"github.com/hitbox-go/hitbox/config"
	"github.com/hitbox-go/hitbox/httpcache"
	"github.com/hitbox-go/hitbox/metrics"
	"github.com/hitbox-go/hitbox/offload"
)

// serveOptions configures [serve].
type serveOptions struct {
	// Load reads the configuration, at start and on every reload.
	Load func() (*config.File, config.Warnings, error)
	// Logger receives the daemon's logs.
	Logger *slog.Logger
	// ShutdownTimeout bounds a graceful stop (and the draining of a
	// replaced backend).
	ShutdownTimeout time.Duration
	// Reload asks for a reload on every receive (SIGHUP); nil: never.
	Reload <-chan os.Signal
	// Reloaded, when set, is called after each reload with its error (nil
	// when the new configuration is in force).
	Reloaded func(error)
	// Env reads the OTEL_* variables of the tracing setup; nil: os.Getenv.
	Env func(string) string
	// TracerProvider, when set, is used instead of the tracing the file
	// and Env describe (and is not stopped by hitboxd).
	TracerProvider trace.TracerProvider
}

// serve runs the proxy (and the admin API) until ctx ends, then stops
// gracefully: it stops accepting, lets requests in flight finish, waits for
// background work and closes the backends, all within ShutdownTimeout. It
// returns nil after a clean stop, and an error when the configuration is
// invalid, a listener cannot be bound, a server fails, or the deadline cut
// work short.
func serve(ctx context.Context, o serveOptions) error {
	d, err := start(o)
	if err != nil {
		return err
	}
	return d.run(ctx)
}

// start loads the configuration, builds it and binds the listeners; run
// serves them.
func start(o serveOptions) (*daemon, error) {
	f, warns, err := o.Load()
	if err != nil {
		return nil, loadError(err)
	}
	d, err := newDaemon(o)
	if err != nil {
		return nil, err
	}
	logWarnings(d.log, warns)
	if d.tracing, err = startTracing(context.Background(), o, f); err != nil {
		return nil, err
	}
	d.upstream = d.tracing.transport(d.transport)
	st, err := d.build(f, nil, nil)
	if err != nil {
		_ = d.tracing.shutdown(context.Background())
		return nil, err
	}
	d.cur.Store(st)
	if d.proxyLn, err = net.Listen("tcp", f.Listen); err != nil {
		_ = st.gen.close(context.Background())
		_ = d.tracing.shutdown(context.Background())
		return nil, fmt.Errorf("proxy listen: %w", err)
	}
	if f.Admin.Listen != "" {
		if d.adminLn, err = net.Listen("tcp", f.Admin.Listen); err != nil {
			_ = d.proxyLn.Close()
			_ = st.gen.close(context.Background())
			_ = d.tracing.shutdown(context.Background())
			return nil, fmt.Errorf("admin listen: %w", err)
		}
	}
	return d, nil
}

// proxyAddr returns the proxy's bound address.
func (d *daemon) proxyAddr() string { return d.proxyLn.Addr().String() }

// adminAddr returns the admin API's bound address, or "" when it is off.
func (d *daemon) adminAddr() string {
	if d.adminLn == nil {
		return ""
	}
	return d.adminLn.Addr().String()
}

// run serves the listeners bound by start until ctx ends, reloading on
// every receive from the Reload channel, then stops gracefully.
func (d *daemon) run(ctx context.Context) error {
	errc := make(chan error, 2)
	proxySrv := d.proxyServer()
	go func() { errc <- proxySrv.Serve(d.proxyLn) }()
	f := d.cur.Load().file
	d.log.Info("proxy listening", "addr", d.proxyAddr(), "upstream", f.Upstream,
		"endpoints", len(f.Endpoints), "backend", f.Backend.Type.String())
	var adminSrv *http.Server
	if d.adminLn != nil {
		adminSrv = d.adminServer()
		go func() { errc <- adminSrv.Serve(d.adminLn) }()
		d.log.Info("admin API listening", "addr", d.adminAddr())
	}

	var failed error
loop:
	for {
		select {
		case <-ctx.Done():
			d.log.Info("shutting down", "timeout", d.shutdownTimeout.String())
			break loop
		case <-d.reloads:
			err := d.reload()
			if d.reloaded != nil {
				d.reloaded(err)
			}
		case err := <-errc:
			failed = fmt.Errorf("server: %w", err)
			d.log.Error("server failed, shutting down", "err", err)
			break loop
		}
	}
	if err := d.shutdown(proxySrv, adminSrv); err != nil {
		return errors.Join(failed, err)
	}
	if failed == nil {
		d.log.Info("stopped")
	}
	return failed
}

// loadError returns the error of a configuration that could not be
// loaded, with each of its problems on its own line.
func loadError(err error) error {
	var errs config.Errors
	if errors.As(err, &errs) {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	return err
}

// logLoadError reports a configuration that failed to reload, one log
// line per problem.
func logLoadError(log *slog.Logger, err error) {
	var errs config.Errors
	if errors.As(err, &errs) {
		for _, e := range errs {
			log.Error("reload: " + e.Error())
		}
		log.Error("reload failed, the running configuration stays", "errors", len(errs))
		return
	}
	log.Error("reload failed, the running configuration stays", "err", err)
}

func logWarnings(log *slog.Logger, warns config.Warnings) {
	for _, w := range warns {
		log.Warn(w.String())
	}
}

// daemon is hitboxd's running state. The configuration in force is an
// immutable *state swapped as a whole on reload; requests take the one
// current when they arrive.
type daemon struct {
	log             *slog.Logger
	load            func() (*config.File, config.Warnings, error)
	shutdownTimeout time.Duration

	reg       *prometheus.Registry
	met       *metrics.Metrics
	transport *http.Transport   // shared by every state: one connection pool
	upstream  http.RoundTripper // transport, traced when tracing is on
	buffers   *bufferPool       // the proxies' copy buffers, shared likewise
	tracing   daemonTracing

	reloads  <-chan os.Signal
	reloaded func(error)
	proxyLn  net.Listener
	adminLn  net.Listener // nil: no admin API

	cur      atomic.Pointer[state]
	draining atomic.Bool    // set when the stop began: /healthz says 503
	retiring sync.WaitGroup // replaced generations being drained and closed

	invMu        sync.Mutex           // guards invalidators
	invalidators []*redis.Invalidator // of every generation: retired ones keep their final counts
}

func newDaemon(o serveOptions) (*daemon, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	timeout := o.ShutdownTimeout
	if timeout <= 0 {
		timeout = DefaultShutdownTimeout
	}
	reg := prometheus.NewRegistry()
	for _, c := range []prometheus.Collector{collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
	}
	met, err := metrics.New(reg, metrics.Options{})
	if err != nil {
		return nil, err
	}
	d := &daemon{log: log, load: o.Load, shutdownTimeout: timeout, reg: reg, met: met, transport: newTransport(),
		buffers: new(bufferPool), reloads: o.Reload, reloaded: o.Reloaded}
	met.WatchBackend(&currentBackend{d: d})
	met.WatchBreakers(d.breakers)
	met.WatchInvalidation(d.invalidation)
	return d, nil
}

// state is one configuration in force: the file, the backend generation
// it uses, and the handler built from its endpoints.
type state struct {
	file    *config.File
	gen     *generation
	handler http.Handler // httpcache middleware around the reverse proxy
}

// generation is a backend tree with the cache flow and the offload runner
// over it. Reloads that keep the backend section keep the generation (and
// its entries); the others start a new one and retire the old one once
// the requests using it are done.
type generation struct {
	store   *config.Store
	cache   *hitbox.Cache
	runner  *offload.Runner
	unwatch func() // takes the runner, once shut down, off the metrics' list

	// refs is the number of requests using the generation, plus
	// retiredBit once it is retired (then it takes no new request).
	refs atomic.Int64
	idle chan struct{} // closed when retired and unused
}

const retiredBit = int64(1) << 62

// acquire takes a reference unless the generation is retired.
func (g *generation) acquire() bool {
	for {
		v := g.refs.Load()
		if v&retiredBit != 0 {
			return false
		}
		if g.refs.CompareAndSwap(v, v+1) {
			return true
		}
	}
}

func (g *generation) release() {
	if g.refs.Add(-1) == retiredBit {
		close(g.idle)
	}
}

// close retires g, waits for the requests using it, then for its
// background work, and closes its backends. It returns ctx.Err() (joined
// with the others) when ctx ends first.
func (g *generation) close(ctx context.Context) error {
	if old := g.refs.Or(retiredBit); old == 0 {
		close(g.idle)
	}
	var errs []error
	select {
	case <-g.idle:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("requests in flight: %w", ctx.Err()))
	}
	errs = append(errs, g.cache.Close(ctx), g.runner.Close(ctx), g.store.Close(ctx))
	if g.unwatch != nil {
		g.unwatch()
	}
	return errors.Join(errs...)
}

// newGeneration builds the backend tree of f with its flow. It takes over
// the Disk and Tarantool stores of prev (the generation in force, nil at
// start) whose settings did not change: prev keeps using them for the
// requests it still serves, and the last of the two to close closes them
// (a Disk file can be open only once; see [config.BuildOptions.Reuse]).
func (d *daemon) newGeneration(f *config.File, prev *generation) (*generation, error) {
	runner, err := offload.New(offload.Options{Logger: d.log})
	if err != nil {
		return nil, err
	}
	o := config.BuildOptions{Offload: runner}
	if prev != nil {
		o.Reuse = prev.store
	}
	store, err := f.BuildStore(o)
	if err != nil {
		_ = runner.Close(context.Background())
		return nil, err
	}
	cache, err := hitbox.New(store.Backend, hitbox.WithRecorder(d.met), hitbox.WithOffload(runner), hitbox.WithLogger(d.log),
		hitbox.WithTracerProvider(d.tracing.tp))
	if err != nil {
		_ = runner.Close(context.Background())
		_ = store.Close(context.Background())
		return nil, err
	}
	// The metrics sum the runners they watch; a retired runner leaves the
	// list when its generation closes, its final counters kept in the
	// totals so that they never go back.
	d.met.WatchOffload(runner)
	d.invMu.Lock()
	d.invalidators = append(d.invalidators, store.Invalidators...)
	d.invMu.Unlock()
	d.probe(store)
	return &generation{store: store, cache: cache, runner: runner, idle: make(chan struct{}),
		unwatch: func() { d.met.UnwatchOffload(runner) }}, nil
}

// build returns the state of f. It keeps gen when it is not nil (the
// backend section did not change) and otherwise builds a new generation,
// which takes over prev's unchanged Disk and Tarantool stores.
func (d *daemon) build(f *config.File, gen, prev *generation) (*state, error) {
	eps, err := f.BuildEndpoints()
	if err != nil {
		return nil, err
	}
	target, err := url.Parse(f.Upstream)
	if err != nil {
		return nil, fmt.Errorf("upstream: %w", err)
	}
	fresh := gen == nil
	if fresh {
		if gen, err = d.newGeneration(f, prev); err != nil {
			return nil, err
		}
	}
	opts := append([]httpcache.Option{
		httpcache.WithKeyFormat(gen.store.KeyFormat), httpcache.WithLogger(d.log),
		httpcache.WithMaxBody(f.MaxBody), httpcache.WithInflightBudget(f.MaxInflightBytes),
	}, f.MiddlewareOptions()...)
	mw, err := httpcache.Middleware(gen.cache, guardEndpoints(eps), opts...)
	if err != nil {
		if fresh {
			_ = gen.close(context.Background())
		}
		return nil, err
	}
	up := &upstreamHandler{proxy: newProxy(target, d.upstream, d.buffers, d.log),
		direct: f.UpstreamTimeout, flow: f.UpstreamTimeout, idle: f.Timeouts.BodyIdle, log: d.log}
	for _, ep := range eps {
		up.flow = max(up.flow, ep.UpstreamTimeout)
	}
	return &state{file: f, gen: gen, handler: mw(up)}, nil
}

// reload reads the file again and swaps the configuration in. A file that
// does not load or build is reported and the running configuration stays.
// The backend, and the entries in it, is kept when its section did not
// change; otherwise the new one takes the new requests and the old one is
// closed once the requests using it are done. A changed section keeps
// its Disk and Tarantool stores whose settings did not change (shared by
// both generations until the old one is closed); a Disk store whose
// settings changed but not its path fails the reload (restart hitboxd:
// the file keeps the entries).
func (d *daemon) reload() error {
	d.log.Info("reloading the configuration")
	f, warns, err := d.load()
	if err != nil {
		logLoadError(d.log, err)
		return err
	}
	logWarnings(d.log, warns)
	old := d.cur.Load()
	if f.Listen != old.file.Listen {
		d.log.Warn("listen changed: restart hitboxd to apply it", "running", old.file.Listen, "file", f.Listen)
	}
	if f.Admin.Listen != old.file.Admin.Listen {
		d.log.Warn("admin.listen changed: restart hitboxd to apply it", "running", old.file.Admin.Listen, "file", f.Admin.Listen)
	}
	if o, n := old.file.Timeouts, f.Timeouts; o.RequestHeader != n.RequestHeader || o.KeepAlive != n.KeepAlive {
		d.log.Warn("timeouts.request_header or timeouts.keep_alive changed: restart hitboxd to apply them")
	}
	if f.Tracing != d.tracing.cfg {
		d.log.Warn("tracing changed: restart hitboxd to apply it")
	}
	var keep *generation
	if config.SameBackend(old.file, f) {
		keep = old.gen
	}
	st, err := d.build(f, keep, old.gen)
	if err != nil {
		logLoadError(d.log, err)
		return err
	}
	d.cur.Store(st)
	if keep != nil {
		d.log.Info("configuration reloaded", "endpoints", len(f.Endpoints), "backend", "kept")
		return nil
	}
	d.log.Info("configuration reloaded", "endpoints", len(f.Endpoints), "backend", "replaced")
	d.retiring.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), d.shutdownTimeout)
		defer cancel()
		if err := old.gen.close(ctx); err != nil {
			d.log.Error("closing the replaced backend", "err", err)
		}
	})
	return nil
}

// acquire returns the current state with a reference on its generation,
// or false when the daemon is stopping.
func (d *daemon) acquire() (*state, bool) {
	for {
		s := d.cur.Load()
		if s.gen.acquire() {
			return s, true
		}
		if d.cur.Load() == s {
			return nil, false // retired and not replaced: the final stop
		}
	}
}

// ServeHTTP is the proxy: the current configuration's handler.
func (d *daemon) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s, ok := d.acquire()
	if !ok {
		h := w.Header()
		h.Set("X-Cache-Status", "MISS")
		h.Set("Cache-Status", "hitbox; fwd=bypass")
		writeJSONError(w, http.StatusServiceUnavailable, "shutting down")
		return
	}
	defer s.gen.release()
	idle := s.file.Timeouts.BodyIdle
	cw := newClientWriter(w, idle)
	defer cw.done()
	if idle > 0 && r.Body != nil && r.Body != http.NoBody {
		body := &idleBody{ReadCloser: r.Body, ctl: &cw.ctl, idle: idle}
		defer body.over.Store(true)
		r.Body, cw.body = body, body
		cw.extend() // net/http writes "100 Continue" at the first read
	}
	s.handler.ServeHTTP(cw, r)
}

// The admin API's timeouts; the proxy's come from the file (timeouts:
// request_header and keep_alive on the server, body_idle per request; no
// whole-transfer timeout).
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 1 << 20
)

func (d *daemon) proxyServer() *http.Server {
	t := d.cur.Load().file.Timeouts
	return &http.Server{
		Handler:           d.tracing.handler(d),
		ReadHeaderTimeout: t.RequestHeader,
		IdleTimeout:       t.KeepAlive,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(d.log.Handler(), slog.LevelWarn),
	}
}

func (d *daemon) adminServer() *http.Server {
	api := &adminAPI{
		token: func() string { return d.cur.Load().file.Admin.Token },
		store: func() (backend.Backend, hitbox.KeyFormat, func(), bool) {
			s, ok := d.acquire()
			if !ok {
				return nil, 0, nil, false
			}
			return s.gen.store.Backend, s.gen.store.KeyFormat, s.gen.release, true
		},
		snapshot: d.met.Snapshot,
		metrics:  promhttp.HandlerFor(d.reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(d.log.Handler(), slog.LevelWarn)}),
		healthy:  func() bool { return !d.draining.Load() },
		gather:   d.reg,
		breakers: d.breakers,
		background: func() offload.Stats {
			return d.cur.Load().gen.runner.Stats()
		},
		log: d.log,
		invalidateTags: func(ctx context.Context, tags []string) error {
			s, ok := d.acquire()
			if !ok {
				return backend.ErrClosed
			}
			defer s.gen.release()
			return s.gen.cache.InvalidateTags(ctx, tags...)
		},
		tagPurged: d.met.TagPurge,
	}
	return &http.Server{
		Handler:           api,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      time.Minute,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(d.log.Handler(), slog.LevelWarn),
	}
}

// shutdown stops the daemon within the shutdown timeout: the proxy stops
// accepting and finishes its requests, replaced generations finish
// closing, the current one waits for its background work and closes its
// backends, and the admin API stops last (its /healthz answers 503 in the
// meantime).
func (d *daemon) shutdown(proxy, admin *http.Server) error {
	d.draining.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), d.shutdownTimeout)
	defer cancel()
	var errs []error
	if err := proxy.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("proxy: requests in flight: %w", err))
		_ = proxy.Close()
	}
	retired := make(chan struct{})
	go func() { d.retiring.Wait(); close(retired) }()
	select {
	case <-retired:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("replaced backends: %w", ctx.Err()))
	}
	if err := d.cur.Load().gen.close(ctx); err != nil {
		errs = append(errs, fmt.Errorf("cache: %w", err))
	}
	// The spans of the last requests and background work are flushed.
	if err := d.tracing.shutdown(ctx); err != nil {
		errs = append(errs, err)
	}
	if admin != nil {
		if err := admin.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("admin: %w", err))
			_ = admin.Close()
		}
	}
	d.transport.CloseIdleConnections()
	if len(errs) > 0 {
		err := fmt.Errorf("graceful stop incomplete: %w", errors.Join(errs...))
		d.log.Error("stopped", "err", err)
		return err
	}
	return nil
}
