// Command hitboxsoak soaks hitboxd: for a set time it runs hitboxd over a
// memory-over-Redis composition under mixed load, kills, pauses and
// restarts Redis along the way, and reports what clients saw and how
// hitboxd's memory and goroutines went. Everything runs on 127.0.0.1 and
// every process it starts is stopped at the end (and dies with it on
// Linux).
//
// Run it inside the module (it builds hitboxd with go build unless
// -hitboxd names a binary; redis-server must be on PATH):
//
//	go run ./cmd/hitboxsoak -duration 10m
//	go run ./cmd/hitboxsoak -duration 2m -clients 16 -rate 100 -race
//
// # What it runs
//
// redis-server on a free port, without persistence; an origin HTTP server
// of its own, in process; hitboxd with a generated file (-keep keeps it,
// with hitboxd's log): Memory (64MiB) over Redis with invalidation, and
// one endpoint per kind of traffic, each under its own path prefix:
//
//	hot      64 keys of 1–8 KiB, ttl 30s: hits
//	cold     a million keys: misses
//	stale    16 keys, ttl 4s, stale 1s, OffloadRevalidate: stale hits and refreshes
//	large    8 keys of 1–4 MiB
//	huge     4 keys above hitboxd's per-entry limit (8 MiB): streamed, never stored
//	chunked  32 keys answered without Content-Length, flushed every 32 KiB
//	slow     16 keys answered after 1s to -slow
//	fail     every other origin answer is a deliberate 500
//	reset    the origin cuts two calls in three: before the header, or halfway
//	         through a body with a Content-Length
//
// Every endpoint's key is (method, id): the endpoints share their parts, so
// only hitboxd's keeping endpoints apart (issue #9 point 8) keeps /hot/1
// and /cold/1 apart, and a hitboxd that does not serves one's body for the
// other, which the clients catch as corrupt. -distinct-parts names each
// endpoint's part after its kind ({hot}, {cold}, ...), to measure the rest
// on such a hitboxd.
//
// # The load
//
// -clients goroutines share at most -rate requests a second, each picking a
// kind (hot 40%, cold 20%, stale 12%, chunked 8%, fail 6%, reset 6%,
// large 4%, slow 3%, huge 0.5%) and a key. Every origin body starts with a
// line naming its path and the payload's size and SHA-256; a client checks
// every 200 against it and against the path it asked for.
//
// # Redis
//
// One cycle per started minute of -duration (at least one): Redis is
// killed at 15% of the cycle, started again at 30%, paused (SIGSTOP) at
// 50%, resumed at 65% and restarted at 80%. -chaos=false leaves it alone.
//
// # The reports
//
// Every -report, a line: requests and their rate, the interval's hit ratio
// (HIT and STALE among the responses carrying X-Cache-Status), errors,
// the origin's calls, hitboxd's RSS (VmRSS of /proc/<pid>/status) and
// goroutines (go_goroutines of its /metrics), and Redis's state. At the
// end, a summary and a table by kind. Errors are counted by class
// (transport, 500, 502, 504, other status, corrupt body) and apart when
// the kind asks for them: a fail endpoint's 500s, a reset endpoint's 502s
// and cut transfers are expected; everything else is unexpected.
//
// The exit status is 1 when a client got a corrupt body under a 200 (whole,
// but not the origin's body for that path: the one unforgivable error),
// when hitboxd panicked, raced, died or did not stop cleanly, or when the
// soak could not run; 2 for a bad command line; 0 otherwise, unexpected
// errors of other classes included (the report shows them).
package main
