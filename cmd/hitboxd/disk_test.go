package main

// End-to-end tests of hitboxd over a Disk store: warm restarts, reloads
// that keep the store, the admin API over it.

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hitbox-go/hitbox/config"
)

// diskBackends are the shapes of a hitboxd with a disk layer, for the
// file at path.
var diskBackends = []struct {
	name    string
	section func(path string) string
}{
	{"Disk", func(path string) string {
		return fmt.Sprintf("backend: {type: Disk, path: %q, max_bytes: 64MiB}", path)
	}},
	{"MemoryOverDisk", func(path string) string {
		return fmt.Sprintf(`backend:
  type: Composition
  l1: {type: Memory, max_bytes: 16MiB}
  l2: {type: Disk, path: %q, max_bytes: 64MiB}
  policy: {refill: Always}`, path)
	}},
}

// bookHost is the Host the tests send, so that keys stay the same when a
// restarted hitboxd listens on another port.
var bookHost = map[string]string{"Host": "books.example"}

// age is the answer's Age header in seconds, or -1 when absent or bad.
func age(a answer) int {
	v, err := strconv.Atoi(a.Header.Get("Age"))
	if err != nil {
		return -1
	}
	return v
}

// awaitAge sends GET target until a HIT says its entry is at least min
// seconds old (Age counts whole seconds: an entry must age before a test
// can tell its age was kept); every answer must be a HIT from the first
// upstream call.
func awaitAge(t *testing.T, c *http.Client, target string, call int64, min int) answer {
	t.Helper()
	deadline := time.Now().Add(e2eTimeout)
	for {
		a := send(t, c, http.MethodGet, target, "", bookHost)
		if a.XCache != "HIT" || a.Up.Call != call {
			t.Fatalf("GET %s: %s %q (upstream call %d), want a HIT of call %d", target, a.XCache, a.Cache, a.Up.Call, call)
		}
		if age(a) >= min {
			return a
		}
		if time.Now().After(deadline) {
			t.Fatalf("Age still %q after %v", a.Header.Get("Age"), e2eTimeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestE2EWarmRestart: hitboxd with a disk layer (alone, and under a
// memory L1), stopped with SIGTERM and started again, answers HIT at once
// for what it had cached, with the entry's Age going on from where it was
// (not from 0); after SIGKILL, it serves every entry that was answered.
func TestE2EWarmRestart(t *testing.T) {
	t.Parallel()
	for _, bk := range diskBackends {
		t.Run(bk.name, func(t *testing.T) {
			t.Parallel()
			up := newTestUpstream(t)
			file := testConfig(up.URL, bk.section(filepath.Join(t.TempDir(), "cache", "hitboxd.db")), booksEndpoints)
			c := newClient(t)

			p := startProcess(t, file)
			written := time.Now()
			miss := send(t, c, http.MethodGet, p.proxy+"/books/1", "", bookHost)
			answered := time.Now()
			if miss.XCache != "MISS" || miss.Cache != "hitbox; fwd=miss; fwd-status=200; stored" {
				t.Fatalf("first GET: %s %q", miss.XCache, miss.Cache)
			}
			before := awaitAge(t, c, p.proxy+"/books/1", miss.Up.Call, 1)
			p.signal(syscall.SIGTERM)
			if err := p.wait(); err != nil {
				t.Fatalf("exit after SIGTERM: %v", err)
			}

			p = startProcess(t, file)
			low := int(time.Since(answered) / time.Second)
			a := send(t, c, http.MethodGet, p.proxy+"/books/1", "", bookHost)
			high := int(math.Ceil(time.Since(written).Seconds()))
			if a.XCache != "HIT" || !strings.HasPrefix(a.Cache, "hitbox; hit; ttl=") || a.Up.Call != miss.Up.Call ||
				string(a.Body) != string(miss.Body) {
				t.Fatalf("first GET after the restart: %s %q (upstream call %d), want a HIT of call %d", a.XCache, a.Cache, a.Up.Call, miss.Up.Call)
			}
			if got := age(a); got < age(before) || got < low || got > high {
				t.Errorf("Age after the restart = %q, want %d to %d (it was %s before the stop)", a.Header.Get("Age"), max(low, age(before)), high, before.Header.Get("Age"))
			}
			if again := send(t, c, http.MethodGet, p.proxy+"/books/1", "", bookHost); again.XCache != "HIT" || age(again) < age(a) {
				t.Errorf("second GET after the restart: %s Age %q, want HIT with Age >= %d", again.XCache, again.Header.Get("Age"), age(a))
			}

			// SIGKILL: every entry whose answer came back was on disk.
			const n = 20
			for i := range n {
				if a := send(t, c, http.MethodGet, fmt.Sprintf("%s/books/k%d", p.proxy, i), "", bookHost); a.XCache != "MISS" {
					t.Fatalf("GET /books/k%d: %s", i, a.XCache)
				}
			}
			calls := up.calls.Load()
			if err := p.cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			_ = p.wait()

			p = startProcess(t, file)
			for i := range n {
				if a := send(t, c, http.MethodGet, fmt.Sprintf("%s/books/k%d", p.proxy, i), "", bookHost); a.XCache != "HIT" {
					t.Errorf("GET /books/k%d after SIGKILL: %s %q, want HIT", i, a.XCache, a.Cache)
				}
			}
			if a := send(t, c, http.MethodGet, p.proxy+"/books/1", "", bookHost); a.XCache != "HIT" || a.Up.Call != miss.Up.Call {
				t.Errorf("GET /books/1 after SIGKILL: %s (call %d), want HIT of call %d", a.XCache, a.Up.Call, miss.Up.Call)
			}
			if got := up.calls.Load(); got != calls {
				t.Errorf("%d upstream calls after the SIGKILL restart, want none", got-calls)
			}
		})
	}
}

// TestE2EReloadKeepsDisk: a reload that changes the memory L1 above a Disk
// store keeps the store open (its file is locked: opening it again would
// fail) and its entries; one that changes the Disk store's settings on the
// same file is refused and the running configuration stays; /keys lists
// and /purge empties the disk layer inside the composition.
func TestE2EReloadKeepsDisk(t *testing.T) {
	t.Parallel()
	up := newTestUpstream(t)
	path := filepath.Join(t.TempDir(), "hitboxd.db")
	backend := func(l1, diskBytes string) string {
		return fmt.Sprintf("backend:\n  type: Composition\n  l1: {type: Memory, max_bytes: %s}\n  l2: {type: Disk, path: %q, max_bytes: %s}", l1, path, diskBytes)
	}
	p := startProcess(t, testConfig(up.URL, backend("16MiB", "64MiB"), booksEndpoints))
	c := newClient(t)
	get := func(path string) answer { t.Helper(); return send(t, c, http.MethodGet, p.proxy+path, "", nil) }
	first := get("/books/1")
	if a := get("/books/1"); a.XCache != "HIT" {
		t.Fatalf("before reloading: %s", a.XCache)
	}

	if got := p.reload(testConfig(up.URL, backend("8MiB", "64MiB"), booksEndpoints), 1); got != "replaced" {
		t.Fatalf("reload with another L1: %s", got)
	}
	if a := get("/books/1"); a.XCache != "HIT" || a.Up.Call != first.Up.Call {
		t.Errorf("after replacing the L1: %s (call %d), want a HIT from the kept disk store (call %d)", a.XCache, a.Up.Call, first.Up.Call)
	}

	if got := p.reload(testConfig(up.URL, backend("8MiB", "32MiB"), booksEndpoints), 2); got != "failed" {
		t.Fatalf("reload with other disk settings on the same file: %s", got)
	}
	if !strings.Contains(p.out.String(), "is open in the running backend with other settings") {
		t.Errorf("the refused reload does not say why:\n%s", p.out)
	}
	get("/books/2")
	if a := get("/books/2"); a.XCache != "HIT" {
		t.Errorf("after the refused reload: %s, want the running configuration (HIT)", a.XCache)
	}

	keys := listKeys(t, c, p.admin, "")
	if keys.Count != 2 {
		t.Errorf("/keys over Memory and Disk: %d entries, want 2: %+v", keys.Count, keys)
	}
	var purged struct {
		Deleted int `json:"deleted"`
	}
	if a := send(t, c, http.MethodPost, p.admin+"/purge", "{}", nil); a.Code != http.StatusOK {
		t.Fatalf("POST /purge: %d %s", a.Code, a.Body)
	} else if err := json.Unmarshal(a.Body, &purged); err != nil || purged.Deleted < 2 {
		t.Errorf("POST /purge: %s, want at least 2 deleted", a.Body)
	}
	if a := get("/books/1"); a.XCache != "MISS" {
		t.Errorf("after /purge: %s, want MISS", a.XCache)
	}
	get("/books/3")
	var stats struct {
		Backends map[string]struct {
			Store *struct {
				Sets    uint64 `json:"sets"`
				Entries int64  `json:"entries"`
			} `json:"store"`
		} `json:"backends"`
	}
	getJSON(t, c, p.admin+"/stats", nil, &stats)
	// /books/1 and /books/3 since the purge; the composition names its
	// layers l1 and l2.
	if d := stats.Backends["l2"].Store; d == nil || d.Entries != 2 || d.Sets == 0 {
		t.Errorf("/stats of the disk store: %+v, want 2 entries and its sets", d)
	}

	p.signal(syscall.SIGTERM)
	if err := p.wait(); err != nil {
		t.Errorf("exit: %v", err)
	}
}

// TestCheckDiskAndTarantool: `hitboxd check` accepts Disk and Tarantool,
// alone and as either layer of a composition, without creating a Disk
// file nor waiting for the lock a running hitboxd holds on it.
func TestCheckDiskAndTarantool(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	held := filepath.Join(dir, "held.db")
	f, _, err := config.Parse("held.yaml", []byte(fmt.Sprintf("upstream: http://127.0.0.1:3000\nbackend: {type: Disk, path: %q}\n", held)))
	if err != nil {
		t.Fatal(err)
	}
	running, err := f.BuildStore(config.BuildOptions{}) // holds the file's lock, as a running hitboxd would
	if err != nil {
		t.Fatal(err)
	}
	defer running.Close(context.Background())
	missing := filepath.Join(dir, "not", "there.db")
	for _, tc := range []struct{ name, backend, kind string }{
		{"Disk", fmt.Sprintf("{type: Disk, path: %q, max_bytes: 10GiB}", missing), "Disk"},
		{"FeOxDb held by another process", fmt.Sprintf("{type: FeOxDb, path: %q}", held), "Disk"},
		{"Tarantool", `{type: Tarantool, address: 127.0.0.1:3301, user: hitbox, password: "x", space: hitbox, timeout: 500ms}`, "Tarantool"},
		{"Memory over Disk", fmt.Sprintf("{type: Composition, l1: {type: Memory}, l2: {type: Disk, path: %q}}", missing), "Composition"},
		{"Disk over Tarantool", fmt.Sprintf("{type: Composition, l1: {type: Disk, path: %q}, l2: {type: Tarantool, address: 127.0.0.1:3301}}", missing), "Composition"},
	} {
		file := writeFile(t, "hitboxd.yaml", goodFile+"backend: "+tc.backend+"\n")
		// A check that opened the held file would fail with
		// disk.ErrFileLocked after its lock timeout.
		code, stdout, stderr := runCmd(t, "check", "-config", file)
		if want := file + ": ok (1 endpoint, " + tc.kind + " backend, 0 warnings)\n" + goodMode; code != 0 || stdout != want {
			t.Errorf("%s: check = %d %q %q, want %q", tc.name, code, stdout, stderr, want)
		}
	}
	if _, err := os.Stat(filepath.Dir(missing)); err == nil {
		t.Errorf("check created %s", filepath.Dir(missing))
	}
}
