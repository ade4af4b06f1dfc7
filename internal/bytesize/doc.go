// Package bytesize reads and writes byte sizes as configuration files
// write them: "256MiB", "64MB", "1.5GiB", "4096".
//
// Units are B, the decimal kB/KB, MB, GB, TB, PB, EB (powers of 1000) and
// the binary KiB, MiB, GiB, TiB, PiB, EiB (powers of 1024, also written
// Ki, Mi, ... as Kubernetes does). Units compare case-insensitively; a
// space may separate the number from its unit. A lone K, M, G, T, P or E
// is rejected as ambiguous (tools disagree on 1000 or 1024). A number may
// have a fraction ("1.5GiB"); the result is rounded down to whole bytes.
package bytesize
