package hitbox

import "time"

// Clock is the flow's time source. Tests drive one (package hitboxtest);
// production uses [SystemClock].
type Clock interface {
	Now() time.Time
}

// SystemClock is the [Clock] that reads the system's time.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }
