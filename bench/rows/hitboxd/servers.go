package hitboxd

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/hitbox-go/hitbox/bench/configs"
	"github.com/hitbox-go/hitbox/bench/internal/proc"
)

// server is a started server under test.
type server struct {
	p    *proc.Proc
	addr string // where wrk sends the load
	// pass is nginx's proxy_pass address (misses); "" for the others.
	pass string
	dir  string
}

func (s *server) stop(g *proc.Group) {
	s.p.Stop(3 * time.Second)
	g.Forget(s.p)
}

// renderConfig fills the embedded template name into path.
func renderConfig(name, path string, data any) error {
	t, err := template.ParseFS(configs.FS, name)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := t.Execute(f, data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// start runs argv (pinned to cpus) as name and waits until addr listens.
func start(ctx context.Context, g *proc.Group, name, cpus, addr string, argv ...string) (*proc.Proc, error) {
	argv = proc.Pinned(cpus, argv...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "GOGC=100")
	p, err := g.Start(name, cmd)
	if err != nil {
		return nil, err
	}
	if err := proc.WaitListening(ctx, addr, p, 15*time.Second); err != nil {
		p.Stop(time.Second)
		g.Forget(p)
		return nil, err
	}
	return p, nil
}

func startWorker(ctx context.Context, o *Options, mode, cpus, upstream string) (*server, error) {
	addr, err := proc.FreeAddr()
	if err != nil {
		return nil, err
	}
	argv := []string{o.Worker, "serve", "-mode", mode, "-addr", addr}
	if upstream != "" {
		argv = append(argv, "-upstream", "http://"+upstream)
	}
	p, err := start(ctx, o.Group, mode, cpus, addr, argv...)
	if err != nil {
		return nil, err
	}
	return &server{p: p, addr: addr}, nil
}

func startHitboxd(ctx context.Context, o *Options, cpus, origin string, hits bool) (*server, error) {
	addr, err := proc.FreeAddr()
	if err != nil {
		return nil, err
	}
	tmpl, name := "hitboxd-misses.yaml.tmpl", "hitboxd-misses"
	if hits {
		tmpl, name = "hitboxd-hits.yaml.tmpl", "hitboxd-hits"
	}
	cfg := filepath.Join(o.Dir, name+".yaml")
	if err := renderConfig(tmpl, cfg, map[string]string{"Listen": addr, "Origin": origin}); err != nil {
		return nil, err
	}
	p, err := start(ctx, o.Group, name, cpus, addr, o.Hitboxd, "-config", cfg, "-log-level", "warn")
	if err != nil {
		return nil, err
	}
	return &server{p: p, addr: addr}, nil
}

func startNginx(ctx context.Context, o *Options, cpus, origin string, workers string) (*server, error) {
	nginx, err := proc.Need("nginx")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(o.Dir, "nginx-")
	if err != nil {
		return nil, err
	}
	cacheAddr, err := proc.FreeAddr()
	if err != nil {
		return nil, err
	}
	passAddr, err := proc.FreeAddr()
	if err != nil {
		return nil, err
	}
	cfg := filepath.Join(dir, "nginx.conf")
	data := map[string]any{"Root": os.Geteuid() == 0, "Workers": workers, "Dir": dir, "Origin": origin,
		"CacheAddr": cacheAddr, "PassAddr": passAddr}
	if err := renderConfig("nginx.conf.tmpl", cfg, data); err != nil {
		return nil, err
	}
	p, err := start(ctx, o.Group, "nginx", cpus, cacheAddr, nginx, "-p", dir, "-c", cfg, "-e", filepath.Join(dir, "nginx-error.log"))
	if err != nil {
		return nil, err
	}
	if err := proc.WaitListening(ctx, passAddr, p, 5*time.Second); err != nil {
		p.Stop(time.Second)
		o.Group.Forget(p)
		return nil, err
	}
	return &server{p: p, addr: cacheAddr, pass: passAddr, dir: dir}, nil
}

func startVarnish(ctx context.Context, o *Options, cpus, origin string) (*server, error) {
	varnishd, err := proc.Need("varnishd")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(o.Dir, "varnish-")
	if err != nil {
		return nil, err
	}
	addr, err := proc.FreeAddr()
	if err != nil {
		return nil, err
	}
	argv := []string{varnishd, "-F", "-j", "none", "-a", addr, "-b", origin, "-s", "malloc,256m", "-n", dir, "-T", "none"}
	if cpus != "" {
		// One CPU: one thread pool, as varnishd's docs advise per CPU.
		argv = append(argv, "-p", "thread_pools=1")
	}
	p, err := start(ctx, o.Group, "varnishd", cpus, addr, argv...)
	if err != nil {
		return nil, err
	}
	return &server{p: p, addr: addr, dir: dir}, nil
}

// get fetches url and drains it.
func get(ctx context.Context, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return string(b), nil
}

// originCalls returns how many requests the origin has answered.
func originCalls(ctx context.Context, origin string) (int64, error) {
	s, err := get(ctx, "http://"+origin+callsPath)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(s), 10, 64)
}

// nginxStatuses counts the $upstream_cache_status values logged since
// offset bytes into the log, and returns the log's new size.
func nginxStatuses(dir string, offset int64) (map[string]int, int64, error) {
	f, err := os.Open(filepath.Join(dir, "cache-status.log"))
	if os.IsNotExist(err) {
		return map[string]int{}, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil, 0, err
	}
	counts := map[string]int{}
	sc := bufio.NewScanner(f)
	n := offset
	for sc.Scan() {
		n += int64(len(sc.Bytes()) + 1)
		st := strings.TrimSpace(sc.Text())
		if st == "" {
			st = "-"
		}
		counts[st]++
	}
	return counts, n, sc.Err()
}

// varnishCounters returns MAIN.cache_hit and MAIN.cache_miss.
func varnishCounters(ctx context.Context, dir string) (hit, miss int64, err error) {
	out, err := exec.CommandContext(ctx, "varnishstat", "-n", dir, "-1", "-f", "MAIN.cache_hit", "-f", "MAIN.cache_miss").Output()
	if err != nil {
		return 0, 0, fmt.Errorf("varnishstat: %w", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "MAIN.cache_hit":
			hit = v
		case "MAIN.cache_miss":
			miss = v
		}
	}
	return hit, miss, nil
}
