package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// modules are the directories of the bench module and of hitbox (its
// replace target).
type modules struct {
	bench, root string
}

func findModules(ctx context.Context) (modules, error) {
	gomod, err := goOutput(ctx, "", "env", "GOMOD")
	if err != nil {
		return modules{}, err
	}
	if filepath.Base(filepath.Dir(gomod)) != "bench" {
		return modules{}, fmt.Errorf("run hbbench from hitbox's bench directory (go.mod here is %q)", gomod)
	}
	bench := filepath.Dir(gomod)
	root, err := goOutput(ctx, bench, "list", "-m", "-f", "{{.Dir}}", "github.com/hitbox-go/hitbox")
	if err != nil {
		return modules{}, err
	}
	return modules{bench: bench, root: root}, nil
}

// goOutput runs the go command in dir and returns its trimmed output, or
// an error carrying its first lines of diagnostics.
func goOutput(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go %s: %w: %s", strings.Join(args, " "), err, firstLines(stderr.String(), 3))
	}
	return strings.TrimSpace(string(out)), nil
}

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, " / ")
}

// builds are the binaries of the run and the parts that are missing.
type builds struct {
	worker string
	// redisNA says why the rows over backend/redis are n/a ("" when it
	// builds).
	redisNA string
	hitboxd string
	// hitboxdNA says why there is no hitboxd binary.
	hitboxdNA string
}

// build compiles hbworker (without the Redis rows when backend/redis does
// not build) and, when the hitboxd rows run, hitboxd.
func build(ctx context.Context, m modules, dir string, needHitboxd bool) (builds, error) {
	var b builds
	b.worker = filepath.Join(dir, "hbworker")
	_, err := goOutput(ctx, m.bench, "build", "-o", b.worker, "./cmd/hbworker")
	if err != nil {
		if _, rerr := goOutput(ctx, m.bench, "build", "github.com/hitbox-go/hitbox/backend/redis"); rerr != nil {
			b.redisNA = "backend/redis does not build: " + trimGo(rerr.Error())
			_, err = goOutput(ctx, m.bench, "build", "-tags", "hbnoredis", "-o", b.worker, "./cmd/hbworker")
		}
		if err != nil {
			return b, fmt.Errorf("build hbworker: %w", err)
		}
	}
	if !needHitboxd {
		return b, nil
	}
	if _, err := os.Stat(filepath.Join(m.root, "cmd", "hitboxd")); errors.Is(err, os.ErrNotExist) {
		b.hitboxdNA = "cmd/hitboxd does not exist"
		return b, nil
	}
	b.hitboxd = filepath.Join(dir, "hitboxd")
	if _, err := goOutput(ctx, m.root, "build", "-o", b.hitboxd, "./cmd/hitboxd"); err != nil {
		b.hitboxd, b.hitboxdNA = "", "cmd/hitboxd does not build: "+trimGo(err.Error())
	}
	return b, nil
}

// trimGo keeps the compiler's diagnostics of a goOutput error.
func trimGo(s string) string {
	if i := strings.Index(s, ": exit status"); i >= 0 {
		s = s[i+len(": exit status"):]
		if j := strings.Index(s, ": "); j >= 0 {
			s = s[j+2:]
		}
	}
	return s
}
