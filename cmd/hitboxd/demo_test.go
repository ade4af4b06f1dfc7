package main

import (
	"context"
	"regexp"
	"testing"
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
