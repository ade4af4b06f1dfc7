package config

import (
	"bytes"
	_ "embed"
)

//go:embed schema.json
var schemaJSON []byte

// Schema returns the JSON Schema (draft 2020-12) of hitboxd's file,
// config/schema.json, for editors; a test checks it against the decoder.
// Editors that speak the YAML language server protocol use it when the
// file's first line names it:
//
//	# yaml-language-server: $schema=https://raw.githubusercontent.com/hitbox-go/hitbox/main/config/schema.json
//
// For the operation tags (`!in`, `!regex`, ...) set the editor's
// yaml.customTags to ["!eq scalar", "!in sequence", "!contains scalar",
// "!regex scalar", "!exist scalar", "!exists scalar"].
func Schema() []byte { return bytes.Clone(schemaJSON) }
