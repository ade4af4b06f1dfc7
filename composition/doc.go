// Package composition stacks two backends, L1 over L2, as hitbox's
// composition module does. A [Composition] is itself a [backend.Backend],
// so compositions nest: a composition in L2 of another gives L1/L2/L3.
//
//	c, err := composition.New(memoryBackend, redisBackend, composition.Options{
//		Read:    composition.ReadRace,
//		Refill:  composition.RefillAlways,
//		Offload: runner, // an *offload.Runner
//	})
//
// # Policies
//
// Reads ([ReadPolicy]): Sequential (default) reads L1 and, on a miss or an
// error, L2; Race reads both at once and takes the first hit; Parallel
// reads both and, when both hit, takes the entry that expires later (ties
// go to L1). An L1 hit of any state (fresh, stale or expired within its
// keep window) answers: freshness is the flow's business.
//
// Writes ([WritePolicy]): OptimisticParallel (default) writes both at once
// and succeeds when one does; Sequential writes L1 then L2 and stops at the
// first error; Race returns on the first success.
//
// The composition passes the caller's context to its layers and waits for
// them, trusting them to honor it (only raced calls run under a detached
// context, which the composition cancels itself).
//
// Refill ([RefillPolicy]): with Always, an entry answered by L2 that is
// Fresh at [Options.Now] is written into L1 before Get returns (inline,
// with the caller's context). Only L1 is written; a nested composition in
// L2 has refilled its own L1 already, and one in L1 writes the entry as
// its own write policy says.
//
// Deletes go to both layers at once; the key was deleted when either layer
// had it.
//
// # Race losers
//
// The call that loses a race ([LoserPolicy]) runs under a context detached
// from the caller's cancellation (context.WithoutCancel) and, by default,
// finishes in the background, so a raced write still lands in the slow
// layer: watched by a task of the [Options.Offload] runner, which cancels it
// when the runner gives up on the task or refuses it, or, without a runner,
// in a goroutine the composition owns and [Composition.Close] waits for.
// [LoserDrop] cancels the loser at once.
//
// A composition keeps its own writes of a key in order while a raced
// write's loser is in flight: reads of that key go to the layer that won,
// and a later Set, Delete or Purge of the key cancels and awaits the loser
// first, so that an older write never lands over a newer one and a deleted
// entry never comes back. A loser that is dropped, refused by the
// Offloader or canceled leaves its layer with what it held before (the
// previous entry, if any) until the next write: the price of not waiting
// for the slow layer. Other instances sharing a layer get no such ordering.
//
// # Errors
//
// A miss is never an error. One layer's failure is swallowed whenever the
// other layer can answer (it is counted in [Composition.Stats]), except
// where the policy says otherwise: an L2 read error under Sequential reads,
// and any error under Sequential writes. When both layers fail, the
// returned *[Error] names both layers by label and wraps both causes:
// [errors.Is] finds either. An empty key gives an error wrapping
// [backend.ErrInvalidKey] without reaching the layers.
//
// # Labels
//
// Layers are labeled "l1" and "l2", prefixed with the composition's own
// label when it has one. [New] relabels a composition used as a layer, so
// the layers of a composition in L2 are "l2.l1" and "l2.l2".
// [Composition.GetLabeled] returns the label of the layer that answered,
// errors name the failed layers, and [Composition.Stats] reports each layer
// under its label.
//
// # Optional capabilities
//
// A Composition implements [backend.Lister] (the union of both layers'
// keys), [backend.Purger] (both layers, falling back to List and Delete for
// a layer without Purge), [backend.Locker] (delegated to L2, else L1; an
// error wrapping [errors.ErrUnsupported] when neither locks),
// [backend.Tagger] (marks on every layer; a served entry is checked against
// the marks of its layer and those above it, see
// [Composition.TagsInvalidatedLabeled] and [TagCheckPolicy]),
// [backend.StatsReporter] and [backend.Labeled].
package composition
