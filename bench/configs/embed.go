// Package configs holds the configuration files the hitboxd rows start
// their servers with (nginx, hitboxd) and the wrk script, as templates
// filled with the ports and paths of each run.
package configs

import "embed"

// FS holds nginx.conf.tmpl, hitboxd-hits.yaml.tmpl,
// hitboxd-misses.yaml.tmpl and urls.lua.
//
//go:embed *.tmpl *.lua
var FS embed.FS
