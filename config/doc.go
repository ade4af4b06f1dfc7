// Package config loads hitboxd's YAML file as docs/config.md describes it:
// hitbox's endpoint language (request and response predicates, key
// extractors, tags, policy) wrapped in hitboxd's listen, upstream, admin,
// backend and tracing sections. docs/config.md is the reference, including
// the choices it makes where hitbox's documentation is silent.
//
// [Parse] (or [Load]) decodes a file into a [File] holding the libraries'
// own values: each endpoint's predicate.Request and predicate.Response,
// extract.Extractor values and policy, and a backend tree of
// memory.Options, redis.Options, disk.Options, tarantool.Options and
// composition.Options, with every default filled in. Names are those the
// libraries' String and Parse functions use, and values are checked by the
// libraries' constructors and Validate methods, whose errors are reported
// where the value was written. [File.BuildEndpoints] and [File.BuildStore]
// turn a File into httpcache endpoints and a running [Store];
// [SameBackend] tells whether a reload may keep the running store;
// [File.Dump] writes a stable description (the golden tests in testdata/
// compare it).
//
// # Errors and warnings
//
// Parse reports every problem of a file at once, as an [Errors] sorted by
// position; each [*Error] reads
//
//	hitboxd.yaml:12:7: endpoints[0].request[1].Header.x-k.regex: invalid regex "(": ...
//
// and wraps one kind ([ErrSyntax], [ErrUnknownField], [ErrType],
// [ErrMissing], [ErrValue]) and, where there is one, the
// underlying cause. Unknown names come with a suggestion ("did you mean
// ...?") when one is close. Parse never panics, on any input.
//
// [Warnings] are legal but probably unwanted settings, returned apart:
// an endpoint that may cache requests with Cookie (or, under semantics
// Hitbox, Authorization) or responses with Set-Cookie; a key without a part
// from the path or the query; a Path predicate with a sequence a
// normalising upstream reads as another resource (web cache deception); a
// Path extractor without a leading '/'; an endpoint an earlier catch-all
// hides; a method in lower case; `exist: false`; a stale time not below
// the ttl; a file without endpoints.
//
// config/schema.json ([Schema]) describes the file for editors; a test
// checks that the schema and the decoder accept the same names.
package config
