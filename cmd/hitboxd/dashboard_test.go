package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// requireBrowser names the environment variable that turns a missing or
// broken Chromium from a skip into a failure (test.sh sets it).
const requireBrowser = "HITBOX_REQUIRE_BROWSER"

// findChromium returns the path of Chromium, or "" when there is none.
func findChromium() string {
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// noBrowser skips the test, or fails it when requireBrowser is set.
func noBrowser(t *testing.T, why string) {
	t.Helper()
	if os.Getenv(requireBrowser) != "" {
		t.Fatalf("%s, and %s is set: install the Debian package chromium", why, requireBrowser)
	}
	t.Skipf("%s: the dashboard's browser test needs headless Chromium (Debian package chromium; test.sh installs it); set %s=1 to fail instead", why, requireBrowser)
}

// newBrowser starts headless Chromium for the test and returns its
// context, bounded by timeout.
func newBrowser(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	path := findChromium()
	if path == "" {
		noBrowser(t, "no chromium in /usr/bin or in PATH")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	ctx, cancelTimeout := context.WithTimeout(context.Background(), timeout)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		cancelTimeout()
	})
	if err := chromedp.Do(bctx); err != nil {
		noBrowser(t, fmt.Sprintf("chromium (%s) did not start: %v", path, err))
	}
	return bctx
}

// loadGen sends GETs through the proxy, one at a time, until stopped.
type loadGen struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func startLoad(t *testing.T, c *http.Client, proxy string, keys int) *loadGen {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	g := &loadGen{cancel: cancel}
	tick := time.NewTicker(2 * time.Millisecond) // pacing, so the browser gets the CPU too
	g.wg.Go(func() {
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			path := fmt.Sprintf("/items/%d", (i-i/10)%keys)
			if i%10 == 9 {
				path = fmt.Sprintf("/other/%d", i) // no endpoint: a bypass
			}
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, proxy+path, nil)
			if resp, err := c.Do(req); err == nil {
				_ = resp.Body.Close()
			}
		}
	})
	t.Cleanup(g.stop)
	return g
}

func (g *loadGen) stop() {
	g.cancel()
	g.wg.Wait()
}

// pageNumber is a JS expression reading the number an element shows.
func pageNumber(id string) string {
	return fmt.Sprintf(`Number((document.getElementById(%q).textContent || "").replace(/[^0-9.]/g, "") || "NaN")`, id)
}

// waitJS waits until the JS expression is true in the page.
func waitJS(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond))
}

// click clicks the element sel names from the page's own script
// (element.click(): the same events reach the page's handlers) rather than
// with the mouse at coordinates measured just before: the page re-renders
// its tables every second, and under load a layout shift between the two
// sent a mouse click to another element.
func click(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).click()`, sel))
}

// setValue sets the value of the form field of that id.
func setValue(id, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.getElementById(%q).value = %q`, id, value))
}

// evaluate returns the value of the JS expression in the page.
func evaluate[T any](t *testing.T, ctx context.Context, expr string, opts ...chromedp.EvaluateOption) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// TestDashboardInBrowser drives the dashboard in headless Chromium:
// login, the numbers moving under load, the keys browser with paging,
// delete and purge. With HITBOX_SCREENSHOT=file.png it saves a
// screenshot of the page under load.
func TestDashboardInBrowser(t *testing.T) {
	ctx := newBrowser(t, 2*time.Minute)
	up := newTestUpstream(t)
	const token = "dashb0ard-s3cret"
	p := startInProcess(t, fmt.Sprintf("listen: %s\nupstream: %s\nadmin:\n  listen: %s\n  token: %s\n%s", testListen, up.URL, testAdminListen, token, `endpoints:
  - name: items
    request: [{Method: GET}, {Path: "/items/{id}"}]
    policy: {Enabled: {ttl: 600}}
`))
	c := newClient(t)
	bearer := map[string]string{"Authorization": "Bearer " + token}
	itemKey := func(id string) string { return entryKey("items", p.proxy, "method=GET&path=/items/"+id) }

	// Login: the page asks for the token, refuses a wrong one.
	browse(t, ctx, "open the page",
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(p.admin+"/"),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
	)
	browse(t, ctx, "wrong token",
		chromedp.SendKeys(chromedp.CSS("#token"), "nope"),
		chromedp.Click(chromedp.CSS("#login-form button")),
		waitJS(`document.getElementById("login-error").textContent === "wrong token"`),
	)
	browse(t, ctx, "right token",
		setValue("token", ""),
		chromedp.SendKeys(chromedp.CSS("#token"), token),
		click("#login-form button"),
		chromedp.WaitVisible(chromedp.CSS("#app")),
		chromedp.WaitNotVisible(chromedp.CSS("#login")),
	)
	cookies := evaluate[string](t, ctx, `document.cookie`)
	if strings.Contains(cookies, sessionCookie) {
		t.Errorf("the session cookie is readable by scripts: %q", cookies)
	}

	// Under load, the counters and the rate move.
	const keys = 60
	load := startLoad(t, c, p.proxy, keys)
	browse(t, ctx, "the numbers move",
		waitJS(pageNumber("c-hits")+` > 100`),
		waitJS(pageNumber("c-misses")+` >= 60`),
		waitJS(pageNumber("c-bypass")+` > 0`),
		waitJS(pageNumber("c-rps")+` > 0`),
		waitJS(pageNumber("c-entries")+` >= 60`),
		waitJS(`document.querySelector('#endpoints tr[data-endpoint="items"]') !== null`),
		waitJS(`document.querySelector('#backends tr[data-backend="memory"]') !== null`),
	)
	hits1 := evaluate[float64](t, ctx, pageNumber("c-hits"))
	browse(t, ctx, "hits keep growing", waitJS(fmt.Sprintf(`%s > %v`, pageNumber("c-hits"), hits1)))

	// The keys browser: a prefix search, 25 keys a page.
	browse(t, ctx, "search",
		setValue("prefix", itemKey("")),
		setValue("limit", "25"),
		click("#keys-form button"),
		waitJS(`document.querySelectorAll("#keys tbody tr").length === 25`),
		waitJS(`document.getElementById("keys-info").textContent.startsWith("60 entries match; page 1 shows 1–25")`),
		waitJS(`!document.getElementById("keys-next").disabled`),
	)
	if shot := os.Getenv("HITBOX_SCREENSHOT"); shot != "" {
		// Charts with some history make a better picture.
		browse(t, ctx, "history for the charts", waitJS(`Number(document.getElementById("chart-rps").dataset.points) >= 20`))
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if err := os.WriteFile(shot, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot written to %s (%d bytes)", shot, len(png))
	}
	load.stop() // the keys must stay deleted

	browse(t, ctx, "next page",
		click("#keys-next"),
		waitJS(`document.getElementById("keys-info").textContent.startsWith("60 entries match; page 2 shows 26–50")`),
		waitJS(`!document.getElementById("keys-prev").disabled`),
	)
	firstOfPage2 := evaluate[string](t, ctx, `document.querySelector("#keys tbody tr").dataset.key`)
	if !strings.HasPrefix(firstOfPage2, itemKey("")) {
		t.Fatalf("page 2 starts with %q, not a key under %q", firstOfPage2, itemKey(""))
	}

	// Delete that key, confirming in the page's dialog.
	browse(t, ctx, "delete",
		click("#keys tbody tr:first-child button"),
		chromedp.WaitVisible(chromedp.CSS("#confirm")),
		click("#confirm-yes"),
		waitJS(`document.getElementById("keys-result").textContent === "deleted " + `+strconv.Quote(firstOfPage2)),
		waitJS(`document.getElementById("keys-info").textContent.startsWith("59 entries match")`),
	)
	var ans keysAnswer
	getJSON(t, c, p.admin+"/keys?prefix="+url.QueryEscape(firstOfPage2), bearer, &ans)
	for _, k := range ans.Keys {
		if k.Key == firstOfPage2 {
			t.Errorf("%s is still listed after the delete", firstOfPage2)
		}
	}

	// A question asked right after another was answered answers only to
	// its own closing: the first dialog's close event, delivered while the
	// second is open, must not answer the second (under load a purge
	// confirmed just after a cancel was once lost that way).
	answers := evaluate[[]bool](t, ctx, `(async () => {
		const d = document.getElementById("confirm");
		const first = confirmDialog("first");
		document.getElementById("confirm-no").click();
		const second = confirmDialog("second");
		const a = await first;
		document.getElementById("confirm-yes").click();
		return [a, await second];
	})()`, chromedp.EvalAwaitPromise)
	if len(answers) != 2 || answers[0] || !answers[1] {
		t.Errorf("a cancel then a yes answered %v, want [false true]", answers)
	}

	// Purge a prefix: /items/1 and /items/10 to /items/19; a cancel first.
	browse(t, ctx, "purge canceled",
		setValue("purge-prefix", itemKey("1")),
		click("#purge-prefix-form button"),
		chromedp.WaitVisible(chromedp.CSS("#confirm")),
		click("#confirm-no"),
		chromedp.WaitNotVisible(chromedp.CSS("#confirm")),
	)
	getJSON(t, c, p.admin+"/keys?prefix="+url.QueryEscape(itemKey("1")), bearer, &ans)
	if ans.Count != 11 {
		t.Fatalf("after a canceled purge: %d keys under /items/1, want 11", ans.Count)
	}
	browse(t, ctx, "purge",
		click("#purge-prefix-form button"),
		chromedp.WaitVisible(chromedp.CSS("#confirm")),
		click("#confirm-yes"),
		waitJS(`document.getElementById("purge-result").textContent.endsWith(": 11 entries deleted")`),
	)
	getJSON(t, c, p.admin+"/keys?prefix="+url.QueryEscape(itemKey("1")), bearer, &ans)
	if ans.Count != 0 {
		t.Errorf("after the purge: %d keys under /items/1, want 0", ans.Count)
	}
	getJSON(t, c, p.admin+"/keys?prefix="+url.QueryEscape(itemKey("")), bearer, &ans)
	if ans.Count != 59-11 {
		t.Errorf("after the purge: %d keys under /items/, want %d", ans.Count, 59-11)
	}

	// Log out: the login form comes back, and the API refuses the page.
	browse(t, ctx, "logout",
		click("#logout"),
		chromedp.WaitVisible(chromedp.CSS("#login-form")),
	)
	status := evaluate[int](t, ctx, `fetch("stats").then(r => r.status)`, chromedp.EvalAwaitPromise)
	if status != http.StatusUnauthorized {
		t.Errorf("GET /stats after logout: %d, want 401", status)
	}
}

// stepTimeout bounds each step of the browser test.
const stepTimeout = 30 * time.Second

// browse runs actions in the browser, failing the test with what on error.
func browse(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	step, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(step, actions...); err != nil {
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("body")))
		t.Fatalf("%s: %v\npage body:\n%s", what, err, html)
	}
}
