package store

import "time"

// Duration reads a duration option whose zero means def and whose negative
// values mean none: it returns def for 0, 0 for a negative d, and d
// otherwise.
func Duration(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}
