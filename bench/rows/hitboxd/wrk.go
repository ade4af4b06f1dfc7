package hitboxd

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hitbox-go/hitbox/bench/internal/proc"
)

// wrkResult is what one wrk run measured.
type wrkResult struct {
	ReqPerSec float64
	P50, P99  time.Duration
	Requests  int64
	Errors    string // socket errors and non-2xx answers, "" when none
	// CPU is wrk's CPU time over the run's wall time (1.0 = one core).
	CPU float64
}

// wrkRun is a load run: 64 keep-alive connections cycling over URLs URLs.
type wrkRun struct {
	wrk, script string
	url, prefix string
	threads     int
	cpus        string // taskset CPU list, "" unpinned
	duration    time.Duration
}

func (r wrkRun) run(ctx context.Context, g *proc.Group, name string) (wrkResult, error) {
	argv := proc.Pinned(r.cpus, r.wrk, "-t", strconv.Itoa(r.threads), "-c", "64",
		"-d", fmt.Sprintf("%ds", wholeSeconds(r.duration)), "--timeout", "5s", "--latency",
		"-s", r.script, r.url, "--", r.prefix, strconv.Itoa(URLs))
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdout = &out
	t0 := time.Now()
	p, err := g.Start(name, cmd)
	if err != nil {
		return wrkResult{}, err
	}
	werr := p.Wait(ctx)
	wall := time.Since(t0)
	p.Stop(time.Second)
	g.Forget(p)
	if werr != nil {
		tail, _ := proc.Tail(p.Log, 400)
		return wrkResult{}, fmt.Errorf("wrk: %v: %s %s", werr, out.String(), tail)
	}
	res, err := parseWrk(out.String())
	if err != nil {
		return wrkResult{}, err
	}
	res.CPU = p.CPU().Seconds() / wall.Seconds()
	return res, nil
}

// wholeSeconds rounds d to whole seconds, at least one: wrk takes no
// fractions.
func wholeSeconds(d time.Duration) int {
	return max(1, int(d.Round(time.Second)/time.Second))
}

var (
	reRate     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	reTotal    = regexp.MustCompile(`(\d+) requests in`)
	rePct      = regexp.MustCompile(`^\s+(50|99)(?:\.000)?%\s+([0-9.]+)(us|ms|s)\s*$`)
	reSocket   = regexp.MustCompile(`Socket errors: .*`)
	reNon2xx   = regexp.MustCompile(`Non-2xx or 3xx responses: \d+`)
	unitFactor = map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}
)

func parseWrk(s string) (wrkResult, error) {
	var r wrkResult
	m := reRate.FindStringSubmatch(s)
	if m == nil {
		return r, fmt.Errorf("wrk: no Requests/sec in %q", s)
	}
	r.ReqPerSec, _ = strconv.ParseFloat(m[1], 64)
	if m := reTotal.FindStringSubmatch(s); m != nil {
		r.Requests, _ = strconv.ParseInt(m[1], 10, 64)
	}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		m := rePct.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		v, _ := strconv.ParseFloat(m[2], 64)
		d := time.Duration(v * float64(unitFactor[m[3]]))
		if m[1] == "50" {
			r.P50 = d
		} else {
			r.P99 = d
		}
	}
	var errs []string
	if m := reSocket.FindString(s); m != "" {
		errs = append(errs, m)
	}
	if m := reNon2xx.FindString(s); m != "" {
		errs = append(errs, m)
	}
	r.Errors = strings.Join(errs, "; ")
	return r, nil
}
