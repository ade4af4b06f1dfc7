package main

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/hitbox-go/hitbox/config"
	"github.com/hitbox-go/hitbox/httpcache"
)

func TestDemo(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := newLineLog()
	done := make(chan struct{})
	var err error
	go func() {
		defer close(done)
		err = run(ctx, []string{"demo", "-listen", testListen, "-admin", testAdminListen}, out, out)
	}()
	for _, re := range []string{
		`^  upstream  http://127\.0\.0\.1:\d+ `,
		`^  curl -s http://\S+/keys$`,
		`^  1st: 200  X-Cache-Status: MISS  Cache-Status: hitbox; fwd=miss; fwd-status=200; stored   \(upstream calls so far: 1\)$`,
		`^  2nd: 200  X-Cache-Status: HIT   Cache-Status: hitbox; hit; ttl=\d+   Age: \d+   \(upstream calls so far: 1\)$`,
		`^The second answer came from the cache: the upstream was called once\.$`,
		`^The endpoint authors has semantics Rfc9111: `,
		`^  1st: 200  X-Cache-Status: MISS  Cache-Status: hitbox; fwd=uri-miss; fwd-status=200; stored   \(upstream calls so far: 2\)$`,
		`^  2nd: 200  X-Cache-Status: HIT   Cache-Status: hitbox; hit; ttl=\d+   Age: \d+   \(upstream calls so far: 2\)$`,
		`^Serving until Ctrl-C\.$`,
	} {
		out.await(t, regexp.MustCompile(re), 1, done)
	}
	cancel()
	<-done
	if err != nil {
		t.Errorf("demo: %v\n%s", err, out)
	}
	out.await(t, regexp.MustCompile(`^Stopped\.$`), 1, nil)
}

// TestDemoConfigChecks: the demo's file passes check without warnings,
// and its authors endpoint shows the Rfc9111 mode beside Hitbox ones.
func TestDemoConfigChecks(t *testing.T) {
	t.Parallel()
	f, warns, err := config.Parse("demo.yaml", []byte(fmt.Sprintf(demoConfig, demoProxyAddr, "http://127.0.0.1:3000", demoAdminAddr)))
	if err != nil || len(warns) > 0 {
		t.Fatalf("demo file: %v, warnings %v", err, warns)
	}
	modes := map[string]httpcache.Semantics{}
	for _, ep := range f.Endpoints {
		modes[ep.Name] = ep.Semantics
	}
	if modes["authors"] != httpcache.SemanticsRfc9111 || modes["book"] != httpcache.SemanticsHitbox {
		t.Errorf("demo semantics %v, want authors Rfc9111 and book Hitbox", modes)
	}
}
