package proc

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStopKillsTheGroup starts a shell that leaves a child behind and
// checks that Stop ends both.
func TestStopKillsTheGroup(t *testing.T) {
	g := &Group{Dir: t.TempDir()}
	p, err := g.Start("sh", exec.Command("sh", "-c", "sleep 60 & echo $!; wait"))
	if err != nil {
		t.Fatal(err)
	}
	var child int
	deadline := time.Now().Add(5 * time.Second)
	for child == 0 && time.Now().Before(deadline) {
		s, _ := Tail(p.Log, 100)
		child, _ = strconv.Atoi(strings.TrimSpace(s))
		time.Sleep(10 * time.Millisecond)
	}
	if child == 0 {
		t.Fatal("no child pid in the log")
	}
	g.StopAll()
	if exited, _ := p.Exited(); !exited {
		t.Error("the shell still runs after StopAll")
	}
	for time.Now().Before(deadline) {
		if syscall.Kill(child, 0) != nil {
			return
		}
		time.Sleep(10 * time.Millisecond) // a zombie until init reaps it
		if b, err := exec.Command("ps", "-o", "stat=", "-p", strconv.Itoa(child)).Output(); err != nil || strings.HasPrefix(string(b), "Z") {
			return
		}
	}
	t.Errorf("child %d still runs after StopAll", child)
}

func TestWaitListeningReportsExit(t *testing.T) {
	g := &Group{Dir: t.TempDir()}
	defer g.StopAll()
	p, err := g.Start("false", exec.Command("false"))
	if err != nil {
		t.Fatal(err)
	}
	addr, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	err = WaitListening(context.Background(), addr, p, 5*time.Second)
	if err == nil || !strings.Contains(err.Error(), "exited") {
		t.Errorf("WaitListening = %v, want an error saying the process exited", err)
	}
}
