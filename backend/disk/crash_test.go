package disk

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hitbox-go/hitbox/backend"
)

// The crash test's child process: TestMain runs crashChild when
// crashChildEnv names a file; crashGenEnv tells it which generation of
// values to write, so that each child writes values its predecessors did
// not.
const (
	crashChildEnv = "HITBOX_DISK_CRASH_CHILD"
	crashGenEnv   = "HITBOX_DISK_CRASH_GEN"
	crashKeys     = 200
	crashWriters  = 8
	// crashBudget is small enough that the child evicts while it writes.
	crashBudget = 2 << 20
)

// crashValue is the value generation gen writes under key i at its step
// seq: it names the three, and its length and bytes derive from them, so
// that a torn, mixed or misplaced value cannot pass for it.
func crashValue(i, gen, seq int) []byte {
	v := fmt.Appendf(nil, "k%d|%d|%d|", i, gen, seq)
	n := (i*977 + seq*131 + gen*7) % 24000 // some span overflow pages
	var s [32]byte
	copy(s[:], v)
	r := rand.NewChaCha8(s)
	pad := make([]byte, n)
	_, _ = r.Read(pad)
	return append(v, pad...)
}

func crashKey(i int) string { return "crash/" + strconv.Itoa(i) }

// crashChild writes (and sometimes deletes) until it is killed, printing
// "committed N" every 50 commits.
func crashChild(path string) int {
	gen, _ := strconv.Atoi(os.Getenv(crashGenEnv))
	b, err := New(Options{Path: path, MaxBytes: crashBudget})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	var (
		mu        sync.Mutex
		committed int
	)
	var wg sync.WaitGroup
	for w := range crashWriters {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(gen), uint64(w)))
			for seq := 0; ; seq++ {
				i := r.IntN(crashKeys)
				var err error
				if r.IntN(10) == 0 {
					_, err = b.Delete(context.Background(), crashKey(i))
				} else {
					now := time.Now()
					err = b.Set(context.Background(), crashKey(i), backend.Entry{
						Value: crashValue(i, gen, seq), Written: now, Expire: now.Add(time.Hour),
					})
				}
				if err != nil {
					fmt.Fprintln(os.Stderr, "child:", err)
					os.Exit(3)
				}
				mu.Lock()
				if committed++; committed%50 == 0 {
					fmt.Printf("committed %d\n", committed)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return 0
}

// TestCrashKilledWriter runs a child process (this test binary) that writes
// to a store from 8 goroutines, kills it with SIGKILL in the middle of its
// writes, and checks the file: it opens, bbolt's own consistency check
// passes, the totals match the entries, and every key is either absent or
// holds exactly a value a child wrote under it. Three generations of
// children write to the same file, each killed in turn; while each runs,
// New in this process fails with ErrFileLocked.
func TestCrashKilledWriter(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "crash.db")
	for gen := range 3 {
		killChild(t, path, gen, 100+gen*150)
		checkAfterCrash(t, path, gen)
	}
}

// killChild starts a child writing generation gen to path and kills it once
// it has committed at least after writes.
func killChild(t *testing.T, path string, gen, after int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path, crashGenEnv+"="+strconv.Itoa(gen))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	reached := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if n, ok := strings.CutPrefix(sc.Text(), "committed "); ok {
				if c, _ := strconv.Atoi(n); c >= after {
					reached <- true
					break
				}
			}
		}
		reached <- false
		for sc.Scan() { // drain, so the child never blocks on a full pipe
		}
	}()
	timer := time.NewTimer(60 * time.Second)
	defer timer.Stop()
	select {
	case ok := <-reached:
		if !ok {
			_ = cmd.Wait()
			t.Fatalf("generation %d: the child exited before %d commits: %s", gen, after, stderr.String())
		}
	case <-timer.C:
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("generation %d: the child did not reach %d commits within 60s: %s", gen, after, stderr.String())
	}
	// While the child runs, the file is another process's.
	if _, err := New(Options{Path: path, LockTimeout: 20 * time.Millisecond}); !errors.Is(err, ErrFileLocked) {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("generation %d: New while the child writes = %v, want an error wrapping ErrFileLocked", gen, err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL: %v", err)
	}
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("generation %d: child ended with %v, want killed by SIGKILL; stderr: %s", gen, err, stderr.String())
	}
}

// checkAfterCrash opens the file a killed child of generation gen left and
// checks it.
func checkAfterCrash(t *testing.T, path string, gen int) {
	t.Helper()
	b, err := New(Options{Path: path, MaxBytes: crashBudget, SweepInterval: -1})
	if err != nil {
		t.Fatalf("generation %d: New after SIGKILL: %v", gen, err)
	}
	defer func() {
		if err := b.Close(context.Background()); err != nil {
			t.Errorf("Close: %v", err)
		}
	}()
	err = b.db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatalf("generation %d: bbolt consistency check after SIGKILL: %v", gen, err)
	}
	found := 0
	for i := range crashKeys {
		e, ok, err := b.Get(t.Context(), crashKey(i))
		if err != nil {
			t.Fatalf("generation %d: Get(%q) = %v", gen, crashKey(i), err)
		}
		if !ok {
			continue
		}
		found++
		var ki, g, seq int
		if _, err := fmt.Sscanf(string(e.Value), "k%d|%d|%d|", &ki, &g, &seq); err != nil || ki != i || g > gen {
			t.Fatalf("generation %d: Get(%q) = a value no child wrote under it: %q", gen, crashKey(i), e.Value[:min(len(e.Value), 40)])
		}
		if want := crashValue(i, g, seq); string(e.Value) != string(want) {
			t.Fatalf("generation %d: Get(%q): %d bytes differ from the %d bytes written by generation %d at step %d", gen, crashKey(i), len(e.Value), len(want), g, seq)
		}
	}
	st := b.Stats()
	if st.DecodeErrors != 0 {
		t.Errorf("generation %d: %d decode errors after SIGKILL, want 0: a torn record was committed", gen, st.DecodeErrors)
	}
	if st.Entries != int64(found) {
		t.Errorf("generation %d: Stats().Entries = %d after SIGKILL, want the %d entries found", gen, st.Entries, found)
	}
	if st.Bytes > crashBudget {
		t.Errorf("generation %d: Stats().Bytes = %d, over the budget %d", gen, st.Bytes, crashBudget)
	}
	if found == 0 {
		t.Errorf("generation %d: no entry survived, want the committed ones", gen)
	}
	t.Logf("generation %d: %d of %d keys present after SIGKILL, %d live bytes", gen, found, crashKeys, st.Bytes)
}
