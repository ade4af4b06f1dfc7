package composition

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrInvalidOptions is returned (wrapped, with the offending field) by [New]
// for layers or options it cannot use, and by the Parse functions for names
// they do not know.
var ErrInvalidOptions = errors.New("composition: invalid options")

// ReadPolicy says how a [Composition] reads its two layers. The zero value
// means the default, [ReadSequential].
type ReadPolicy int

const (
	// ReadSequential reads L1 and, on a miss or an error, L2. An error from
	// L2 is returned. It is the default.
	ReadSequential ReadPolicy = iota + 1
	// ReadRace reads both layers at once and returns the first hit; the
	// other read (the loser) is handled as the [LoserPolicy] says. When the
	// first layer to answer misses or fails, the other is awaited.
	ReadRace
	// ReadParallel reads both layers at once and waits for both; when both
	// hit, the entry with the later Expire wins (ties go to L1).
	ReadParallel
)

var readNames = []string{ReadSequential: "Sequential", ReadRace: "Race", ReadParallel: "Parallel"}

// String returns the policy's configuration name ("Sequential", "Race",
// "Parallel") or "ReadPolicy(N)".
func (p ReadPolicy) String() string { return enumString("ReadPolicy", readNames, int(p)) }

// ParseReadPolicy returns the policy named s, as the configuration file
// spells it ("Sequential", "Race", "Parallel"), or an error wrapping
// [ErrInvalidOptions].
func ParseReadPolicy(s string) (ReadPolicy, error) {
	n, err := parseEnum("read", readNames, s)
	return ReadPolicy(n), err
}

// WritePolicy says how a [Composition] writes (Set) to its two layers. The
// zero value means the default, [WriteOptimisticParallel].
type WritePolicy int

const (
	// WriteOptimisticParallel writes both layers at once and succeeds when
	// at least one write does; the other layer's failure is counted in
	// [Composition.Stats], not returned. It is the default.
	WriteOptimisticParallel WritePolicy = iota + 1
	// WriteSequential writes L1, then L2. An L1 error returns at once (L2
	// is not written); an L2 error is returned too.
	WriteSequential
	// WriteRace writes both layers at once and returns on the first
	// success; the other write (the loser) is handled as the
	// [LoserPolicy] says. When the first layer to finish failed, the other
	// is awaited.
	WriteRace
)

var writeNames = []string{WriteOptimisticParallel: "OptimisticParallel", WriteSequential: "Sequential", WriteRace: "Race"}

// String returns the policy's configuration name ("OptimisticParallel",
// "Sequential", "Race") or "WritePolicy(N)".
func (p WritePolicy) String() string { return enumString("WritePolicy", writeNames, int(p)) }

// ParseWritePolicy returns the policy named s, as the configuration file
// spells it ("OptimisticParallel", "Sequential", "Race"), or an error
// wrapping [ErrInvalidOptions].
func ParseWritePolicy(s string) (WritePolicy, error) {
	n, err := parseEnum("write", writeNames, s)
	return WritePolicy(n), err
}

// RefillPolicy says whether a hit in L2 is copied into L1. The zero value
// means the default, [RefillNever].
type RefillPolicy int

const (
	// RefillNever leaves L1 alone on an L2 hit. It is the default.
	RefillNever RefillPolicy = iota + 1
	// RefillAlways writes an entry that L2 answered into L1 when it is
	// Fresh at the time of the read. The write happens before Get returns,
	// into L1 only (a nested composition in L1 writes it as its own write
	// policy says); its failure is counted, never returned.
	RefillAlways
)

var refillNames = []string{RefillNever: "Never", RefillAlways: "Always"}

// String returns the policy's configuration name ("Never", "Always") or
// "RefillPolicy(N)".
func (p RefillPolicy) String() string { return enumString("RefillPolicy", refillNames, int(p)) }

// ParseRefillPolicy returns the policy named s, as the configuration file
// spells it ("Never", "Always"), or an error wrapping [ErrInvalidOptions].
func ParseRefillPolicy(s string) (RefillPolicy, error) {
	n, err := parseEnum("refill", refillNames, s)
	return RefillPolicy(n), err
}

// LoserPolicy says what happens to the unfinished call of a race ([ReadRace],
// [WriteRace]) once the other layer has answered. The zero value means the
// default, [LoserOffload].
type LoserPolicy int

const (
	// LoserOffload lets the loser finish in the background, with a context
	// detached from the caller's cancellation: through [Options.Offload]
	// when set, else in a goroutine the composition owns. A raced write
	// thus still lands in the slower layer. It is the default.
	LoserOffload LoserPolicy = iota + 1
	// LoserDrop cancels the loser's context as soon as the race is decided.
	LoserDrop
)

var loserNames = []string{LoserOffload: "Offload", LoserDrop: "Drop"}

// String returns the policy's configuration name ("Offload", "Drop") or
// "LoserPolicy(N)".
func (p LoserPolicy) String() string { return enumString("LoserPolicy", loserNames, int(p)) }

// ParseLoserPolicy returns the policy named s ("Offload", "Drop"), or an
// error wrapping [ErrInvalidOptions].
func ParseLoserPolicy(s string) (LoserPolicy, error) {
	n, err := parseEnum("loser", loserNames, s)
	return LoserPolicy(n), err
}

// TagCheckPolicy says whose tag invalidation marks decide whether a tagged
// entry a [Composition] served is still valid (see
// [Composition.TagsInvalidatedLabeled]). The zero value means the default,
// [TagCheckServing].
type TagCheckPolicy int

const (
	// TagCheckServing checks an entry against the marks of the layer that
	// served it and of the layers above it: an L1 hit reads only L1's
	// marks, with no round trip when L1 is in process. It is exact across
	// a fleet when each instance's L1 records the other instances'
	// invalidations (redis.Backend.Subscribe does); without that, an L1
	// copy ignores another instance's tag purge as it ignores another
	// instance's overwrite, until it expires. It is the default.
	TagCheckServing TagCheckPolicy = iota + 1
	// TagCheckEvery checks every entry against the marks of every layer:
	// exact without a subscription, at the price of a call to each layer
	// (a network round trip for a remote L2) on every hit of a tagged
	// entry, L1 hits included.
	TagCheckEvery
)

var tagCheckNames = []string{TagCheckServing: "Serving", TagCheckEvery: "Every"}

// String returns the policy's configuration name ("Serving", "Every") or
// "TagCheckPolicy(N)".
func (p TagCheckPolicy) String() string { return enumString("TagCheckPolicy", tagCheckNames, int(p)) }

// ParseTagCheckPolicy returns the policy named s ("Serving", "Every"), or an
// error wrapping [ErrInvalidOptions].
func ParseTagCheckPolicy(s string) (TagCheckPolicy, error) {
	n, err := parseEnum("tag check", tagCheckNames, s)
	return TagCheckPolicy(n), err
}

// Offloader runs background work without blocking: TryGo starts fn, or
// refuses it (returns false) when it is full or shut down. fn's context is
// canceled when the runner gives up on it. *offload.Runner satisfies it.
type Offloader interface {
	TryGo(name string, fn func(ctx context.Context)) bool
}

// Task names a composition gives to its [Offloader], so that the runner's
// stats and logs tell them apart.
const (
	TaskRaceReadLoser  = "composition.race_read_loser"
	TaskRaceWriteLoser = "composition.race_write_loser"
)

// Options configures a [Composition]. The zero value is valid: sequential
// reads, optimistic parallel writes, no refill, race losers offloaded into
// goroutines the composition owns, the wall clock.
type Options struct {
	// Read is the read policy; zero means [ReadSequential].
	Read ReadPolicy
	// Write is the write policy; zero means [WriteOptimisticParallel].
	Write WritePolicy
	// Refill is the refill policy; zero means [RefillNever].
	Refill RefillPolicy
	// Loser is what happens to the loser of a race; zero means
	// [LoserOffload].
	Loser LoserPolicy
	// TagCheck is whose marks decide whether a tagged entry is still
	// valid; zero means [TagCheckServing].
	TagCheck TagCheckPolicy
	// Offload runs offloaded race losers; the composition hands each one
	// over with [Offloader.TryGo] and cancels it when TryGo refuses. nil
	// means the losers finish in goroutines the composition owns, without a
	// bound or a deadline of their own: [Composition.Close] waits for them
	// (and cancels them when its context ends first). Production setups
	// should pass their *offload.Runner.
	Offload Offloader
	// Label names the composition in statuses, stats and errors, and
	// prefixes its layers' labels ("l1" and "l2" when empty, "cache.l1"
	// when "cache"). [New] overwrites the label of a composition used as a
	// layer of another. Empty at the top level is usual.
	Label string
	// Now is the clock deciding whether an L2 hit is fresh enough to
	// refill; nil means [time.Now].
	Now func() time.Time
}

// withDefaults validates o and returns it with its zero fields replaced by
// their defaults.
func (o Options) withDefaults() (Options, error) {
	if o.Read == 0 {
		o.Read = ReadSequential
	}
	if o.Write == 0 {
		o.Write = WriteOptimisticParallel
	}
	if o.Refill == 0 {
		o.Refill = RefillNever
	}
	if o.Loser == 0 {
		o.Loser = LoserOffload
	}
	if o.TagCheck == 0 {
		o.TagCheck = TagCheckServing
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	switch {
	case !known(tagCheckNames, int(o.TagCheck)):
		return o, fmt.Errorf("%w: TagCheck is %v", ErrInvalidOptions, o.TagCheck)
	case !known(readNames, int(o.Read)):
		return o, fmt.Errorf("%w: Read is %v", ErrInvalidOptions, o.Read)
	case !known(writeNames, int(o.Write)):
		return o, fmt.Errorf("%w: Write is %v", ErrInvalidOptions, o.Write)
	case !known(refillNames, int(o.Refill)):
		return o, fmt.Errorf("%w: Refill is %v", ErrInvalidOptions, o.Refill)
	case !known(loserNames, int(o.Loser)):
		return o, fmt.Errorf("%w: Loser is %v", ErrInvalidOptions, o.Loser)
	}
	return o, nil
}

func known(names []string, n int) bool { return n > 0 && n < len(names) }

func enumString(typ string, names []string, n int) string {
	if known(names, n) {
		return names[n]
	}
	return fmt.Sprintf("%s(%d)", typ, n)
}

func parseEnum(what string, names []string, s string) (int, error) {
	for n, name := range names {
		if n > 0 && name == s {
			return n, nil
		}
	}
	return 0, fmt.Errorf("%w: unknown %s policy %q (want one of %v)", ErrInvalidOptions, what, s, names[1:])
}
