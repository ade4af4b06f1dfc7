package redistest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Sentinel is a master watched by one redis-sentinel.
type Sentinel struct {
	// Master is the monitored redis-server.
	Master *Server
	// Sentinel is the redis-sentinel process.
	Sentinel *Server
	// MasterName is the name the sentinel knows the master by.
	MasterName string
	// Addrs are the sentinels' addresses (one), the list a failover
	// client takes.
	Addrs []string
}

// MasterName is the name under which [StartSentinel]'s sentinel monitors
// its master.
const MasterName = "hitbox-master"

// StartSentinel starts a master and a redis-sentinel (quorum 1) that
// monitors it as [MasterName], and waits until the sentinel names the
// master. Without redis-sentinel on PATH it runs "redis-server --sentinel"
// instead, and fails only when both are missing. t.Cleanup stops both.
func StartSentinel(t testing.TB) *Sentinel {
	t.Helper()
	master := Start(t)
	bin, pkg := "redis-sentinel", "redis-sentinel"
	sentinelFlag := false
	if _, err := exec.LookPath(bin); err != nil {
		if _, err := exec.LookPath("redis-server"); err == nil {
			bin, sentinelFlag = "redis-server", true
		}
	}
	sent := start(t, bin, pkg, 0, func(dir string, port int) ([]string, error) {
		conf := filepath.Join(dir, "sentinel.conf")
		text := fmt.Sprintf(`port %d
bind 127.0.0.1
daemonize no
dir %q
logfile ""
sentinel monitor %s 127.0.0.1 %d 1
sentinel down-after-milliseconds %s 2000
sentinel failover-timeout %s 10000
`, port, dir, MasterName, master.Port, MasterName, MasterName)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			return nil, err
		}
		if sentinelFlag {
			return []string{conf, "--sentinel"}, nil
		}
		return []string{conf}, nil
	})
	s := &Sentinel{Master: master, Sentinel: sent, MasterName: MasterName, Addrs: []string{sent.Addr}}
	deadline := time.Now().Add(startTimeout)
	want := []any{"127.0.0.1", fmt.Sprint(master.Port)}
	for {
		r, err := sent.Do("SENTINEL", "get-master-addr-by-name", MasterName)
		if got, ok := r.([]any); err == nil && ok && len(got) == 2 && got[0] == want[0] && got[1] == want[1] {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("redistest: sentinel %s does not name master %s: %v, %v", sent.Addr, master.Addr, r, err)
		}
		time.Sleep(poll)
	}
}
