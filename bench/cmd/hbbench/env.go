package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
)

// peers are the modules whose versions the report names.
var peers = []string{
	"github.com/maypok86/otter/v2",
	"github.com/dgraph-io/ristretto/v2",
	"github.com/Yiling-J/theine-go",
	"github.com/hashicorp/golang-lru/v2",
	"github.com/redis/go-redis/v9",
	"github.com/go-redis/cache/v9",
	"github.com/viccon/sturdyc",
	"github.com/gregjones/httpcache",
}

// versions returns the versions of Go, hitbox, the peer modules and the
// servers and tools.
func versions(ctx context.Context, m modules) map[string]string {
	v := map[string]string{"go": runtime.Version()}
	if out, err := goOutput(ctx, m.bench, append([]string{"list", "-m", "-f", "{{.Path}} {{.Version}}"}, peers...)...); err == nil {
		for _, line := range strings.Split(out, "\n") {
			if f := strings.Fields(line); len(f) == 2 {
				v[f[0]] = f[1]
			}
		}
	}
	rev := command(ctx, m.root, `[0-9a-f]{7,}`, "git", "rev-parse", "--short", "HEAD")
	if rev != "" && command(ctx, m.root, `.+`, "git", "status", "--porcelain", "--untracked-files=normal") != "" {
		rev += " + uncommitted changes"
	}
	v["hitbox"] = rev
	tools := []struct {
		name, re string
		argv     []string
	}{
		{"nginx", `nginx/[0-9.]+`, []string{"nginx", "-v"}},
		{"varnish", `varnish-[0-9.]+`, []string{"varnishd", "-V"}},
		{"wrk", `wrk \S+`, []string{"wrk", "-v"}},
		{"redis-server", `v=[0-9.]+`, []string{"redis-server", "--version"}},
	}
	for _, t := range tools {
		if s := command(ctx, "", t.re, t.argv...); s != "" {
			v[t.name] = s
		} else {
			v[t.name] = "not installed"
		}
	}
	return v
}

// command runs argv and returns the first match of re in its output.
func command(ctx context.Context, dir, re string, argv ...string) string {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	_ = cmd.Run() // wrk -v exits 1
	return regexp.MustCompile(re).FindString(out.String())
}

// machine describes the CPU, core count, memory, kernel and load.
func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if m := regexp.MustCompile(`model name\s*:\s*(.+)`).FindSubmatch(b); m != nil {
			cpu = strings.TrimSpace(string(m[1]))
		}
	}
	parts := []string{cpu, strings.TrimSpace(runtime.GOOS + "/" + runtime.GOARCH), strconv.Itoa(runtime.NumCPU()) + " CPUs"}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if m := regexp.MustCompile(`MemTotal:\s*(\d+) kB`).FindSubmatch(b); m != nil {
			parts = append(parts, strconv.Itoa(atoi(string(m[1]))>>20)+" GiB")
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		parts = append(parts, "Linux "+strings.TrimSpace(string(b)))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(b))
		if len(f) >= 3 {
			parts = append(parts, "load average at start "+strings.Join(f[:3], " "))
		}
	}
	return strings.Join(parts, ", ")
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
