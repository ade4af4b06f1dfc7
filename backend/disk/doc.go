// Package disk is hitbox's embedded on-disk store: a [backend.Backend] in
// one bbolt file (go.etcd.io/bbolt), bounded by the bytes of its live data,
// whose entries survive restarts. It is the L2 of a single hitboxd (memory
// over disk) and hitboxd's `type: Disk`.
//
//	b, err := disk.New(disk.Options{Path: "/var/cache/hitboxd/cache.db", MaxBytes: 10 << 30})
//	...
//	defer b.Close(ctx)
//
// # Layout
//
// The file holds five buckets: the entries (key → record), an expiry index
// (deadline ‖ key), the write order (sequence → key), the tag invalidation
// marks (tag → time, added to older files at open; read through a copy in
// memory) and a meta bucket with the format version and the live totals. A record is the entry's deadline
// and write sequence, then the entry encoded by [Options.Codec] behind the
// checksummed header every hitbox byte store uses (MessagePack by default).
// Every change to an entry rewrites its index entries and the totals in the
// same transaction. A file with another format version, or a bbolt file of
// another program, is refused with [ErrFormat].
//
// # Bounds
//
// An entry weighs its key three times (entry and indexes), its record and
// [EntryOverhead]; [Options.MaxBytes] (1 GiB by default) bounds the sum.
// When a write takes it over, the same transaction drops the entries past
// their deadline, earliest first, then the least recently written entries.
// Least recently written rather than used: a read runs in a read-only
// transaction and would need a write of its own to record the use, turning
// every hit into a write; a cache rewrites the entries it refreshes, so
// write order tracks what is still wanted closely enough.
//
// The budget bounds the live data, not the file. bbolt never shrinks its
// file: the pages evictions and deletions free are reused by later writes,
// and the file carries page slack (B+tree pages are not full) and grows in
// steps of an eighth of the budget (1 MiB to 16 MiB). After writing four
// times a 4 MiB budget in distinct keys the file measured about 1.5 times
// the budget (TestFileSizeAfterFourTimesBudget, BenchmarkFileSize).
//
// # Expiry
//
// Each record carries its deadline ([backend.Entry.Deadline], Expire plus
// Keep) as an absolute time: Get reports an entry past it as a miss, on
// [Options.Now], including after a restart. A background goroutine deletes
// such entries every [Options.SweepInterval] (1 minute by default, and once
// at start for what expired while the file was closed), walking the expiry
// index in transactions of up to 1024 entries; [Backend.Close] stops it.
// On the system clock the store reads a cached reading refreshed every
// [ClockResolution], as the memory store does.
//
// # Reads and writes
//
// Reads run in bbolt read-only transactions, which never wait for writers
// nor for each other. bbolt's memory is valid only inside its transaction
// (a write that grows the file remaps it), so a hit copies the value out
// once, as the Codec decodes it; that copy is the Value the caller gets.
//
// Writes go through a group commit: the first writer to find no commit in
// progress commits every write queued at that moment in one transaction
// (one fsync), and the writes queued during that commit go together in the
// next. A lone write commits at once; concurrent writers share fsyncs
// without the timer of bbolt's DB.Batch. Set returns once its write is on
// disk.
//
// # Crashes and bad files
//
// bbolt writes copy-on-write pages and switches between two checksummed
// meta pages, so a process killed at any point (SIGKILL included) leaves a
// file that opens at its last commit; and a record that does not pass the
// Codec's checksum is never served, but read as a miss and counted in
// [backend.Stats].DecodeErrors. TestCrashKilledWriter kills a writer
// process mid-writes three times and checks every key. A file that cannot
// be opened gives an error that names it and says what to do:
// [ErrFileLocked] when another process holds it (after
// [Options.LockTimeout], 1s by default), [ErrCorrupt] for a damaged or
// foreign file (delete it: it only holds a cache), [ErrFormat] for another
// format version. A panic of bbolt over a damaged page is turned into an
// error wrapping ErrCorrupt.
//
// A Backend is safe for concurrent use. It implements [backend.Lister],
// [backend.Purger], [backend.StatsReporter] and [backend.Labeled].
package disk
