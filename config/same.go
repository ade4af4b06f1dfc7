package config

import "strings"

// SameBackend reports whether a and b configure the same backend tree
// (types, bounds, addresses, credentials, timeouts, formats, policies),
// whatever their positions in the file. hitboxd keeps its backend, and
// the entries in it, across a reload when the backend section did not
// change. A nil File has the default backend.
func SameBackend(a, b *File) bool {
	return backendText(a) == backendText(b)
}

// backendText is f's backend tree as the dump writes it, passwords
// included; the key format is a function of the key= fields it writes.
func backendText(f *File) string {
	bk := defaultBackend()
	if f != nil && f.Backend != nil {
		bk = f.Backend
	}
	var w strings.Builder
	dumpBackend(&w, bk, "", true)
	return w.String()
}
