package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// runCmd runs hitboxd's run with args and returns its exit status and
// output.
func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // nothing here may keep serving
	err := run(ctx, args, &out, &errOut)
	return exitCode(err), out.String(), errOut.String()
}

// writeFile writes a file in a temporary directory and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const goodFile = `listen: 127.0.0.1:8080
upstream: http://127.0.0.1:3000
endpoints:
  - name: books
    request:
      - Method: GET
      - Path: "/books/{id:[0-9]+}"
      - Not: {Header: {Authorization: {exist: ~}}}
      - Not: {Header: {Cookie: {exist: ~}}}
    response:
      - Status: 200
      - Not: {Header: {Set-Cookie: {exist: ~}}}
    extractors: [{Method: }, {Path: "/books/{id}"}, {Query: page}]
`

// goodMode is check's line for goodFile's endpoint.
const goodMode = `endpoint 0 "books": semantics Hitbox (the predicates decide, Cache-Control is not read; ttl 5s)` + "\n"

func TestCheck(t *testing.T) {
	t.Parallel()
	good := writeFile(t, "good.yaml", goodFile)
	warned := writeFile(t, "warned.yaml", "upstream: http://127.0.0.1:3000\n")
	bad := writeFile(t, "bad.yaml", `listen: nowhere
upstream: http://127.0.0.1:3000
endpoints:
  - name: books
    request:
      - Method: GET
      - Header: {x-version: {regex: "("}}
    extractors:
      - Qurey: page
    policy: {Enabled: {ttl: 5 minutes}}
`)
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string   // exact
		wantStderr []string // each line in order, as regular expressions
	}{
		{
			name:       "valid file",
			args:       []string{"check", "-config", good},
			wantStdout: good + ": ok (1 endpoint, Memory backend, 0 warnings)\n" + goodMode,
		},
		{
			name:       "double-dash flag",
			args:       []string{"check", "--config", good},
			wantStdout: good + ": ok (1 endpoint, Memory backend, 0 warnings)\n" + goodMode,
		},
		{
			name: "the example file",
			args: []string{"check", "-config", filepath.Join("..", "..", "examples", "hitboxd.yaml")},
			wantStdout: filepath.Join("..", "..", "examples", "hitboxd.yaml") + ": ok (7 endpoints, Memory backend, 0 warnings)\n" +
				`endpoint 0 "book": semantics Hitbox (the predicates decide, Cache-Control is not read; ttl 5m0s)` + "\n" +
				`endpoint 1 "books": semantics Hitbox (the predicates decide, Cache-Control is not read; ttl 30s)` + "\n" +
				`endpoint 2 "search": semantics Hitbox (the predicates decide, Cache-Control is not read; ttl 2m0s)` + "\n" +
				`endpoint 3 "flags": semantics Hitbox (the predicates decide, Cache-Control is not read; ttl 15s)` + "\n" +
				`endpoint 4 "static": semantics Hitbox (the predicates decide, Cache-Control is not read; ttl 1h0m0s)` + "\n" +
				`endpoint 5 "catalog": semantics Rfc9111 (freshness from the origin, capped by ttl 1h0m0s; no-store, private, Set-Cookie and Authorization honoured)` + "\n" +
				`endpoint 6 "reports": semantics Hitbox (policy Disabled: never cached)` + "\n",
		},
		{
			name:       "warnings",
			args:       []string{"check", "-config", warned},
			wantStdout: warned + ": ok (0 endpoints, Memory backend, 1 warning)\n",
			wantStderr: []string{`^` + regexp.QuoteMeta(warned) + `:1:1: endpoints: warning: no endpoints`},
		},
		{
			name:     "errors, every one located",
			args:     []string{"check", "-config", bad},
			wantCode: 1,
			wantStderr: []string{
				`^` + regexp.QuoteMeta(bad) + `:1:9: listen: .*"nowhere"`,
				`^` + regexp.QuoteMeta(bad) + `:7:37: endpoints\[0\]\.request\[1\]\.Header\.x-version\.regex: invalid regex "\("`,
				`^` + regexp.QuoteMeta(bad) + `:9:9: endpoints\[0\]\.extractors\[0\]\.Qurey: .*did you mean "Query"`,
				`^` + regexp.QuoteMeta(bad) + `:10:29: endpoints\[0\]\.policy\.Enabled\.ttl: .*"5 minutes"`,
			},
		},
		{
			name:       "missing file",
			args:       []string{"check", "-config", filepath.Join(t.TempDir(), "nope.yaml")},
			wantCode:   1,
			wantStderr: []string{`^hitboxd: config: open .*nope\.yaml: no such file or directory$`},
		},
		{
			name:       "no -config",
			args:       []string{"check"},
			wantCode:   2,
			wantStderr: []string{`^Usage of hitboxd check:`, `-config FILE`, `the configuration FILE to validate`, `^hitboxd: check: missing -config FILE$`},
		},
		{
			name:       "unknown flag",
			args:       []string{"check", "-confg", good},
			wantCode:   2,
			wantStderr: []string{`^flag provided but not defined: -confg$`},
		},
		{
			name:       "extra argument",
			args:       []string{"check", "-config", good, "more"},
			wantCode:   2,
			wantStderr: []string{`^hitboxd: unexpected argument "more" \(see hitboxd help\)$`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runCmd(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("hitboxd %s: exit %d, want %d\nstderr:\n%s", strings.Join(tt.args, " "), code, tt.wantCode, stderr)
			}
			if stdout != tt.wantStdout {
				t.Errorf("stdout %q, want %q", stdout, tt.wantStdout)
			}
			matchLines(t, stderr, tt.wantStderr)
		})
	}
}

// matchLines checks that the lines of out match the patterns, in order
// (each pattern matching a later line than the previous one), and that
// out is empty when there are none.
func matchLines(t *testing.T, out string, patterns []string) {
	t.Helper()
	if len(patterns) == 0 {
		if out != "" {
			t.Errorf("unexpected stderr:\n%s", out)
		}
		return
	}
	lines := strings.Split(out, "\n")
	i := 0
	for _, p := range patterns {
		re := regexp.MustCompile(p)
		for i < len(lines) && !re.MatchString(lines[i]) {
			i++
		}
		if i == len(lines) {
			t.Errorf("stderr has no line matching %q after the previous ones:\n%s", p, out)
			return
		}
		i++
	}
}

func TestCommands(t *testing.T) {
	t.Parallel()
	bad := writeFile(t, "bad.yaml", "upstream: 3\n")
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string // a regular expression
		wantStderr []string
	}{
		{name: "version", args: []string{"version"}, wantStdout: `^hitboxd \S+ (\S+ )?` + regexp.QuoteMeta(runtime.Version()) + ` ` + runtime.GOOS + `/` + runtime.GOARCH + "\n$"},
		{name: "version with an argument", args: []string{"version", "x"}, wantCode: 2, wantStderr: []string{`unexpected argument "x"`}},
		{name: "help", args: []string{"help"}, wantStdout: `(?s)^Usage:\n.*hitboxd -config FILE.*hitboxd check -config FILE.*hitboxd demo.*hitboxd version`},
		{name: "no arguments", args: nil, wantCode: 2, wantStderr: []string{`^Usage:`, `^hitboxd: missing -config FILE$`}},
		{name: "unknown command", args: []string{"serve"}, wantCode: 2, wantStderr: []string{`^hitboxd: unknown command "serve" \(see hitboxd help\)$`}},
		{name: "run -h", args: []string{"-h"}, wantStderr: []string{`^Usage:`, `-shutdown-timeout`}},
		{name: "bad shutdown timeout", args: []string{"-config", bad, "-shutdown-timeout", "0s"}, wantCode: 2, wantStderr: []string{`shutdown-timeout 0s: want a positive duration`}},
		{name: "bad log level", args: []string{"-config", bad, "-log-level", "loud"}, wantCode: 2, wantStderr: []string{`-log-level "loud"`}},
		{name: "run an invalid file", args: []string{"--config", bad}, wantCode: 1, wantStderr: []string{
			`^hitboxd: invalid configuration:$`, `^` + regexp.QuoteMeta(bad) + `:1:11: upstream: `}},
		{name: "run a missing file", args: []string{"-config", bad + ".nope"}, wantCode: 1, wantStderr: []string{`no such file or directory`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runCmd(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("hitboxd %s: exit %d, want %d\nstderr:\n%s", strings.Join(tt.args, " "), code, tt.wantCode, stderr)
			}
			if tt.wantStdout == "" && stdout != "" || tt.wantStdout != "" && !regexp.MustCompile(tt.wantStdout).MatchString(stdout) {
				t.Errorf("stdout %q, want a match of %q", stdout, tt.wantStdout)
			}
			matchLines(t, stderr, tt.wantStderr)
		})
	}
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, 0},
		{"usage", &usageError{err: os.ErrInvalid}, 2},
		{"reported usage", &usageError{err: errReported}, 2},
		{"reported", errReported, 1},
		{"other", os.ErrNotExist, 1},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("%s: exitCode(%v) = %d, want %d", tt.name, tt.err, got, tt.want)
		}
	}
}
