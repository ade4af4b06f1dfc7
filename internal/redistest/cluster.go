package redistest

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// clusterBusOffset is where Redis puts a node's cluster bus: its port plus
// 10000.
const clusterBusOffset = 10000

// Cluster is a Redis Cluster of masters without replicas, every node on
// 127.0.0.1.
type Cluster struct {
	// Nodes are the masters, in the order of Addrs.
	Nodes []*Server
	// Addrs are the nodes' addresses, the seed list a cluster client
	// takes.
	Addrs []string
}

// StartCluster starts masters cluster-enabled redis-server nodes (3 when
// masters is 0; redis-cli needs at least 3), joins them with
// "redis-cli --cluster create ... --cluster-replicas 0 --cluster-yes", and
// waits until every node reports cluster_state:ok with all the nodes known.
// t.Cleanup stops the nodes.
func StartCluster(t testing.TB, masters int) *Cluster {
	t.Helper()
	if masters == 0 {
		masters = 3
	}
	if masters < 3 {
		t.Fatalf("redistest: StartCluster(%d): a cluster needs at least 3 masters", masters)
	}
	cli := lookPath(t, "redis-cli", "redis-tools")
	c := &Cluster{Nodes: make([]*Server, masters), Addrs: make([]string, masters)}
	var wg sync.WaitGroup
	errs := make([]error, masters)
	for i := range masters {
		// Start the nodes at once: each start is mostly waiting.
		wg.Go(func() {
			c.Nodes[i], errs[i] = startE(t, "redis-server", "redis-server", clusterBusOffset, func(dir string, port int) ([]string, error) {
				return append(serverArgs(dir, port),
					"--cluster-enabled", "yes",
					"--cluster-config-file", "nodes.conf",
					"--cluster-node-timeout", "2000",
				), nil
			})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for i, n := range c.Nodes {
		c.Addrs[i] = n.Addr
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := append([]string{"--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("redistest: redis-cli --cluster create: %v\n%s", err, out)
	}
	c.waitOK(t, masters)
	return c
}

// waitOK waits until every node says the cluster is ok and knows all nodes.
func (c *Cluster) waitOK(t testing.TB, masters int) {
	t.Helper()
	deadline := time.Now().Add(startTimeout)
	for _, n := range c.Nodes {
		for {
			info, err := n.Do("CLUSTER", "INFO")
			s, _ := info.(string)
			if err == nil && strings.Contains(s, "cluster_state:ok") &&
				strings.Contains(s, "cluster_known_nodes:"+strconv.Itoa(masters)+"\r\n") &&
				strings.Contains(s, "cluster_slots_ok:16384") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("redistest: cluster not ok after %v: node %s: %v\n%s", startTimeout, n.Addr, err, s)
			}
			time.Sleep(poll)
		}
	}
}

// URL returns a "redis://host:port?addr=host:port&addr=..." URL naming
// every node, the form go-redis's ParseClusterURL reads.
func (c *Cluster) URL() string {
	var b strings.Builder
	fmt.Fprintf(&b, "redis://%s", c.Addrs[0])
	for i, a := range c.Addrs[1:] {
		sep := "&"
		if i == 0 {
			sep = "?"
		}
		fmt.Fprintf(&b, "%saddr=%s", sep, a)
	}
	return b.String()
}
