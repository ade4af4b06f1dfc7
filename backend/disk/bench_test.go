package disk

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hitbox-go/hitbox/backend"
)

// benchCodecs are the value formats the benchmarks run: the default
// (MessagePack) and JSON.
var benchCodecs = []struct {
	name  string
	codec backend.Codec
}{
	{"msgpack", backend.Codec{}},
	{"json", backend.Codec{Format: backend.FormatJSON}},
}

// BenchmarkHitVsRaw reads hits from a store of 1000 entries and, in the same
// loop, the same record bytes straight from bbolt (a read transaction, a
// bucket lookup and a copy): it reports the p50 and p99 of each and their
// ratios (target: at most 1.3×).
func BenchmarkHitVsRaw(b *testing.B) {
	for _, c := range benchCodecs {
		for _, size := range []int{128, 1 << 10, 16 << 10} {
			b.Run(fmt.Sprintf("%s/%dB", c.name, size), func(b *testing.B) {
				d := newBackend(b, Options{Codec: c.codec, SweepInterval: -1})
				const n = 1000
				keys := make([]string, n)
				now := time.Now()
				for i := range keys {
					keys[i] = fmt.Sprintf("GET /books/%d", i)
					v := bytes.Repeat([]byte{'a' + byte(i%26)}, size)
					if err := d.Set(context.Background(), keys[i], backend.Entry{Value: v, Written: now, Stale: now.Add(time.Hour), Expire: now.Add(2 * time.Hour), Keep: time.Minute}); err != nil {
						b.Fatal(err)
					}
				}
				rawKeys := make([][]byte, n)
				for i, k := range keys {
					rawKeys[i] = []byte(k)
				}
				raw := func(k []byte) []byte {
					tx, err := d.db.Begin(false)
					if err != nil {
						b.Fatal(err)
					}
					v := bytes.Clone(tx.Bucket(entriesBucket).Get(k))
					_ = tx.Rollback()
					return v
				}
				var diskT, rawT []time.Duration
				ctx := context.Background()
				i := 0
				for b.Loop() {
					k := i % n
					i++
					t0 := time.Now()
					_, ok, err := d.Get(ctx, keys[k])
					t1 := time.Now()
					v := raw(rawKeys[k])
					t2 := time.Now()
					if !ok || err != nil || v == nil {
						b.Fatalf("Get(%q) = %v, %v; raw %d bytes", keys[k], ok, err, len(v))
					}
					diskT = append(diskT, t1.Sub(t0))
					rawT = append(rawT, t2.Sub(t1))
				}
				reportRatios(b, diskT, rawT)
			})
		}
	}
}

// reportRatios reports the p50 and p99 of the store's and the raw latencies
// and the store's over raw.
func reportRatios(b *testing.B, store, raw []time.Duration) {
	slices.Sort(store)
	slices.Sort(raw)
	pct := func(d []time.Duration, p float64) float64 {
		return float64(d[int(p*float64(len(d)-1))].Nanoseconds())
	}
	for _, p := range []struct {
		name string
		q    float64
	}{{"p50", 0.50}, {"p99", 0.99}} {
		s, r := pct(store, p.q), pct(raw, p.q)
		b.ReportMetric(s, "disk-"+p.name+"-ns")
		b.ReportMetric(r, "raw-"+p.name+"-ns")
		b.ReportMetric(s/r, "ratio-"+p.name)
	}
}

// BenchmarkWrites8 measures writes per second under 8 concurrent writers:
// the store's Set (group commit) against raw bbolt DB.Batch (its default
// 10ms MaxBatchDelay) putting the same record bytes into a file opened with
// the store's bbolt options, alternating in the same loop (target: at least
// 0.8×). 1 KiB values under 1000 keys.
func BenchmarkWrites8(b *testing.B) {
	const (
		writers   = 8
		perWriter = 25
		keys      = 1000
	)
	d := newBackend(b, Options{SweepInterval: -1})
	o := Options{Path: filepath.Join(b.TempDir(), "raw.db"), MaxBytes: DefaultMaxBytes}
	db, err := bolt.Open(o.Path, 0o600, &bolt.Options{FreelistType: bolt.FreelistMapType, InitialMmapSize: o.mmapSize(), NoStatistics: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	db.AllocSize = o.allocSize()
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket(entriesBucket); return err }); err != nil {
		b.Fatal(err)
	}
	value := bytes.Repeat([]byte("v"), 1<<10)
	now := time.Now()
	entry := backend.Entry{Value: value, Written: now, Expire: now.Add(time.Hour)}
	rec, err := d.codec.Encode(make([]byte, recordHeader), entry)
	if err != nil {
		b.Fatal(err)
	}
	run := func(write func(w, i int) error) time.Duration {
		var wg sync.WaitGroup
		t0 := time.Now()
		for w := range writers {
			wg.Go(func() {
				for i := range perWriter {
					if err := write(w, i); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		return time.Since(t0)
	}
	key := func(w, i int) string { return fmt.Sprintf("key/%d", (w*perWriter+i)%keys) }
	var diskT, rawT time.Duration
	for b.Loop() {
		diskT += run(func(w, i int) error { return d.Set(context.Background(), key(w, i), entry) })
		rawT += run(func(w, i int) error {
			k := []byte(key(w, i))
			return db.Batch(func(tx *bolt.Tx) error { return tx.Bucket(entriesBucket).Put(k, rec) })
		})
	}
	n := float64(b.N * writers * perWriter)
	diskRate, rawRate := n/diskT.Seconds(), n/rawT.Seconds()
	b.ReportMetric(diskRate, "disk-writes/s")
	b.ReportMetric(rawRate, "raw-batch-writes/s")
	b.ReportMetric(diskRate/rawRate, "ratio")
}

// BenchmarkFileSize writes four times a 16 MiB budget (4 KiB values,
// distinct keys, 8 writers) into a fresh store and reports the file's size
// and its used pages against the budget.
func BenchmarkFileSize(b *testing.B) {
	const budget = 16 << 20
	for b.Loop() {
		b.StopTimer()
		d := newBackend(b, Options{MaxBytes: budget, SweepInterval: -1, Path: filepath.Join(b.TempDir(), "size.db")})
		b.StartTimer()
		size := writeBudgetTimes(b, d, budget, 4)
		b.ReportMetric(float64(size)/budget, "file/budget")
		b.ReportMetric(float64(highWater(d))/budget, "used/budget")
		b.ReportMetric(float64(d.Stats().Bytes)/budget, "live/budget")
	}
}
