// Package config loads hitboxd's YAML file as docs/config.md describes it
// (the reference): hitbox's endpoint language (predicates, key extractors,
// tags, policy) wrapped in hitboxd's listen, upstream, admin, backend and
// tracing sections.
//
// [Parse] (or [Load]) decodes a file into a [File] holding the libraries'
// own values, every default filled in: httpcache endpoints (predicates,
// extractors, hitbox policy) and a backend tree of the stores' Options.
// Names are read by the libraries' Parse functions and values checked by
// their constructors and Validate methods, whose errors are reported where
// the value was written. [File.BuildEndpoints] returns the endpoints and
// [File.BuildStore] builds a running [Store]; [SameBackend] tells whether a
// reload may keep the running store; [File.Dump] writes a stable
// description (the golden tests in testdata/ compare it).
//
// Parse reports every problem at once, as [Errors] sorted by position,
// each reading
//
//	hitboxd.yaml:12:7: endpoints[0].request[1].Header.x-k.regex: invalid regex "(": ...
//
// and wrapping one kind ([ErrSyntax], [ErrUnknownField], [ErrType],
// [ErrMissing], [ErrValue]) and its cause; unknown names come with a
// suggestion. Parse never panics. [Warnings], returned apart, are legal
// but probably unwanted settings (see `hitboxd check` in docs/config.md).
//
// config/schema.json ([Schema]) describes the file for editors; a test
// checks that the schema and the decoder accept the same names.
package config
