// Command hbworker is the harness's measuring process: hbbench builds it
// and runs one row per process (so that every repetition starts from a
// fresh heap), the servers of the hitboxd rows, and the members of the
// two-process stampede. It is not meant to be run by hand.
//
//	hbworker row -name memory -duration 2s [-quick] [-rep N] [-redis ADDR] [-tmp DIR]
//	hbworker serve -mode origin|golimit|revproxy -addr ADDR [-upstream URL]
//	hbworker fleet -subject NAME -redis ADDR -start UNIXNANO
//
// Rows print their measures as JSON on stdout and progress on stderr.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hitbox-go/hitbox/bench/internal/measure"
	"github.com/hitbox-go/hitbox/bench/internal/result"
	"github.com/hitbox-go/hitbox/bench/rows/composition"
	"github.com/hitbox-go/hitbox/bench/rows/hitboxd"
	"github.com/hitbox-go/hitbox/bench/rows/memory"
	"github.com/hitbox-go/hitbox/bench/rows/middleware"
	"github.com/hitbox-go/hitbox/bench/rows/redisdown"
	"github.com/hitbox-go/hitbox/bench/rows/typed"
)

// rows are the in-process rows by name.
var rows = map[string]func(context.Context, measure.Env) ([]result.Measure, error){
	"memory":      memory.Run,
	"composition": composition.Run,
	"typed":       typed.Run,
	"stampede":    typed.RunStampede,
	"middleware":  middleware.Run,
	"redisdown":   redisdown.Run,
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "hbworker:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("want a command: row, serve or fleet")
	}
	fs := flag.NewFlagSet("hbworker "+args[0], flag.ContinueOnError)
	switch args[0] {
	case "row":
		name := fs.String("name", "", "the row")
		env := measure.Env{Log: os.Stderr}
		fs.DurationVar(&env.Duration, "duration", 2*time.Second, "duration of each timed measurement")
		fs.BoolVar(&env.Quick, "quick", false, "smaller data sets")
		fs.IntVar(&env.Rep, "rep", 0, "repetition number")
		fs.StringVar(&env.RedisAddr, "redis", "", "redis-server address")
		fs.StringVar(&env.TempDir, "tmp", os.TempDir(), "scratch directory")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		fn := rows[*name]
		if fn == nil {
			return fmt.Errorf("unknown row %q", *name)
		}
		ms, err := fn(ctx, env)
		if err != nil {
			return err
		}
		return json.NewEncoder(os.Stdout).Encode(ms)
	case "serve":
		var o hitboxd.ServeOptions
		fs.StringVar(&o.Mode, "mode", "", "origin, golimit or revproxy")
		fs.StringVar(&o.Addr, "addr", "", "listen address")
		fs.StringVar(&o.Upstream, "upstream", "", "revproxy: the origin's URL")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return hitboxd.Serve(ctx, o)
	case "fleet":
		var o typed.FleetOptions
		fs.StringVar(&o.Subject, "subject", "", "hitbox or go-redis/cache")
		fs.StringVar(&o.RedisAddr, "redis", "", "redis-server address")
		fs.Int64Var(&o.Start, "start", 0, "when the callers start, Unix nanoseconds")
		fs.StringVar(&o.Key, "key", "", "the cold key")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		calls, err := typed.FleetMember(ctx, o)
		if err != nil {
			return err
		}
		return json.NewEncoder(os.Stdout).Encode(calls)
	}
	return fmt.Errorf("unknown command %q", args[0])
}
