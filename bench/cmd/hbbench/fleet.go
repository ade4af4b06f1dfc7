package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"time"

	"github.com/hitbox-go/hitbox/bench/internal/proc"
	"github.com/hitbox-go/hitbox/bench/internal/result"
)

const (
	fleetRow    = "stampede, two processes sharing Redis"
	fleetCase   = "2 × 1000 callers, one cold key"
	fleetMetric = "upstream calls per fleet"
	subjOnce    = "go-redis/cache Once"
	gocacheNA   = "github.com/eko/gocache/lib/v4 not served by the module proxy here"
)

// fleet runs the two-process stampede once for each subject: two hbworker
// processes sharing the redis-server, their callers starting at the same
// instant. It reports the fleet's upstream calls.
func (r *runner) fleet(ctx context.Context, rep int) []result.Measure {
	if r.redisAddr == "" {
		return []result.Measure{result.NA(fleetRow, fleetCase, fleetMetric, result.Count, result.Hitbox, r.redisNA)}
	}
	var out []result.Measure
	for _, subject := range []string{result.Hitbox, subjOnce} {
		m := result.Measure{Row: fleetRow, Case: fleetCase, Metric: fleetMetric, Unit: result.Count, Subject: subject}
		if subject != result.Hitbox {
			m.Target = result.Exactly(1, "exactly 1 upstream call per fleet")
		}
		calls, note, err := r.fleetOnce(ctx, subject, rep)
		if err != nil {
			m.NA = err.Error()
		} else {
			m.Value, m.Note = float64(calls), note
		}
		out = append(out, m)
	}
	gocache := result.NA(fleetRow, fleetCase, fleetMetric, result.Count, "eko/gocache loadable", gocacheNA)
	gocache.Target = result.Exactly(1, "exactly 1 upstream call per fleet")
	return append(out, gocache)
}

func (r *runner) fleetOnce(ctx context.Context, subject string, rep int) (int64, string, error) {
	start := time.Now().Add(2 * time.Second).UnixNano()
	key := fmt.Sprintf("fleet-%d-%d", rep, start)
	var outs [2]bytes.Buffer
	var procs [2]*proc.Proc
	for i := range procs {
		cmd := exec.CommandContext(ctx, r.builds.worker, "fleet", "-subject", subject, "-redis", r.redisAddr,
			"-start", strconv.FormatInt(start, 10), "-key", key)
		cmd.Stdout = &outs[i]
		p, err := r.group.Start(fmt.Sprintf("fleet-%d-%d", rep, i), cmd)
		if err != nil {
			return 0, "", err
		}
		procs[i] = p
	}
	var total int64
	var per []string
	var firstErr error
	for i, p := range procs {
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := p.Wait(wctx)
		cancel()
		p.Stop(time.Second)
		r.group.Forget(p)
		var rep result.FleetReport
		switch {
		case err != nil:
			tail, _ := proc.Tail(p.Log, 300)
			err = fmt.Errorf("member %d: %v: %s", i, err, tail)
		default:
			if err = json.Unmarshal(outs[i].Bytes(), &rep); err == nil && rep.NA != "" {
				err = errors.New(rep.NA)
			}
		}
		if err != nil {
			firstErr = firstOf(firstErr, err)
			continue
		}
		total += rep.Calls
		per = append(per, strconv.FormatInt(rep.Calls, 10))
	}
	if firstErr != nil {
		return 0, "", firstErr
	}
	return total, "per process: " + per[0] + " + " + per[1], nil
}

// firstOf returns a when it is set, else b.
func firstOf(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
