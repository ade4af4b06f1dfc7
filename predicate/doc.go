// Package predicate holds the conditions that decide whether an HTTP
// request may be cached and whether a response may be stored: the
// "request" and "response" sections of an endpoint in hitbox's
// configuration language (docs/config.md), as Go values. The config package
// builds them from YAML; the HTTP middleware evaluates them.
//
// # Kinds
//
// A [Request] is a [Predicate] on *http.Request and a [Response] one on
// *http.Response. [RequestFunc] and [ResponseFunc] adapt plain functions.
// [And], [Or] and [Not] combine either kind and nest freely; an empty And
// or Or is neutral (it always holds), as the configuration says.
//
// Request predicates: [Method], [Path] (a [PathPattern], whose
// [PathPattern.Captures] the key extractors reuse), [Header], [Query] and
// [Body]. Response predicates: [Status], [StatusIn], [StatusClass],
// [StatusRange], [ResponseHeader] and [ResponseBody].
//
// Header and query predicates take an [Op]: [Eq], [In], [Contains],
// [Regex] (a search, unanchored unless the pattern anchors), [Exist] (and
// [Starts], [Ends]). Names of headers compare case-insensitively, values
// case-sensitively; configured values are trimmed; a header or parameter
// sent several times holds when any one of its values does. An empty list
// ([Method](), [StatusIn](), [In]()) never holds.
//
// Body predicates take a [BodyMatcher]: a jq expression compiled once
// ([JQ], [JQEq], [JQIn], [JQExist]; jq gets an extra `hash` function), an
// [Op] on the raw bytes ([Raw]) or a size bound ([Limit]). They read the
// body, at most a bounded number of bytes, and leave it so that the upstream, or the client, still reads it
// whole and unchanged. jq runs under a deadline ([BodyOptions.Timeout]).
//
// # Errors and safety
//
// Constructors validate their input: a bad method, header name, regular
// expression, path pattern or jq expression is an error naming the value;
// nothing panics on bad input, and every predicate is false for a nil
// request or response. Predicates are immutable and safe for concurrent
// use on distinct requests; body predicates modify the request or response
// they read (its Body), so one request is evaluated by one goroutine at a
// time.
//
// Of this module, the package imports only its internal body reader, size
// parser and RFC 9111 rules (for the token syntax); beside them, the
// standard library and gojq.
package predicate
