// Package extract builds cache keys from HTTP requests: the key extractors
// of the configuration language (docs/config.md, "Key extractors").
//
// Each [Extractor] appends named parts ([hitbox.KeyPart]) to a key, in
// order; [Key] runs a list of them. Two requests share a cache entry
// exactly when their parts are equal: names, values, presence and order.
// A part may have no value ([hitbox.AbsentPart], null in the admin API),
// which is not the empty string.
//
// # Extractors
//
//   - [Method]: "method" = the method.
//   - [Path]: one part per {name} of a path pattern (patterns are those of
//     [predicate.Path]); "{path}*" is the whole path without the query.
//   - [Query]: one part per value of a query parameter (repeated
//     parameters and bracket arrays in order), none when it is absent.
//   - [Header]: the header's value, or a part with no value.
//   - [QuerySelector], [HeaderSelector]: hitbox 0.2's selector form, by
//     exact name or by prefix, with a value regex and [Transforms].
//   - on the request body: [Body] (a jq expression, the part named by
//     it), [BodyJQ] (the {jq: ...} form: parts named by the fields of the
//     object the expression builds), [BodyHash] (the body's SHA-256) and
//     [BodyRegex] (the {regex: ...} form).
//
// [Default] is what an endpoint without extractors uses: [Method], then
// the path pattern "{path}*".
//
// # Errors
//
// An extractor's error means "this request cannot be keyed": the caller
// forwards it uncached. That happens for a path that does not match a
// [Path] pattern ([ErrPathMismatch]), a malformed percent-encoding in a
// selected query value ([ErrBadQuery]), a body that is not JSON for a jq
// extractor ([ErrBadBody]), a jq error or timeout, and a body over the
// limit ([ErrBodyTooLarge]; [DefaultBodyLimit] is 1 MiB,
// [WithLimit] changes it). Extractors never panic on what a client sends.
//
// # Bodies
//
// Body extractors read the body as body predicates do: at most the
// limit plus one byte, and never when Content-Length already exceeds it.
// They leave the body replayable, so that the next extractor and the
// upstream read it whole, unchanged, even after a refusal.
//
// Extractors are immutable once built and safe for concurrent use; a
// single request must not be extracted from concurrently, since reading
// its body replaces r.Body.
package extract
