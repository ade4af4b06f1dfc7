package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/hitbox-go/hitbox/httpcache"
)

// Load reads and parses the file at path; see [Parse]. Errors and warnings
// name the file as path is written.
func Load(path string) (*File, Warnings, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes and validates a hitboxd file; name is the file name errors
// and warnings carry. On success it returns the File and its warnings,
// otherwise nil, nil and an [Errors] holding every problem found, sorted
// by position. Parse never panics.
func Parse(name string, data []byte) (*File, Warnings, error) {
	root, errs := parseYAML(name, data)
	if len(errs) > 0 {
		return nil, nil, errs.sort()
	}
	if root == nil {
		root = &node{kind: kindNull, line: 1, col: 1, size: 1}
	}
	d := &decoder{file: name}
	f := d.decodeFile(root)
	if len(d.errs) > 0 {
		return nil, nil, d.errs.sort()
	}
	d.warnings(f)
	return f, d.warns.sort(), nil
}

func (d *decoder) decodeFile(root *node) *File {
	f := &File{Name: d.file, Listen: defaultListen, Semantics: httpcache.SemanticsHitbox, TagHeaders: defaultTagHeaders}
	keys := append(extensionKeys(root), "listen", "upstream", "admin", "backend", "endpoints", "semantics", "rfc9111", "tag_headers", "tracing")
	fs, _ := d.fields(root, "", "a mapping (the configuration)", true, append(keys, serverFields...)...)
	set(fs, "listen", &f.Listen, d.address)
	set(fs, "upstream", &f.Upstream, d.upstream)
	if _, ok := fs["upstream"]; !ok && (root.kind == kindMap || root.kind == kindNull) {
		d.fail(root, "upstream", ErrMissing, "missing upstream (the origin's URL, e.g. http://127.0.0.1:3000)")
	}
	if e, ok := fs["admin"]; ok {
		f.Admin = d.admin(e.val, e.path)
		if f.Admin.Listen != "" && f.Admin.Listen == f.Listen && !anyPort(f.Listen) {
			d.fail(e.val, e.path+".listen", ErrValue, "admin.listen %q is the proxy's listen address too", f.Listen)
		}
	}
	d.decodeServer(f, fs)
	set(fs, "semantics", &f.Semantics, d.semantics)
	set(fs, "rfc9111", &f.Rfc9111, d.rfc9111)
	if e, ok := fs["tag_headers"]; ok {
		f.TagHeaders = append([]string{}, d.fieldNames(e.val, e.path, "header", nil)...)
	}
	set(fs, "tracing", &f.Tracing, d.tracing)
	f.Backend = defaultBackend()
	if e, ok := fs["backend"]; ok && e.val.kind != kindNull {
		f.Backend = d.backend(e.val, e.path)
		d.keyFormats(f.Backend)
		d.diskFiles(f.Backend)
	}
	if e, ok := fs["endpoints"]; ok && e.val.kind != kindNull {
		items, _ := d.list(e.val, e.path, "a list of endpoints")
		names := map[string]*node{}
		for i, item := range items {
			ep := d.endpoint(item, indexPath(e.path, i), f)
			if prev, dup := names[ep.Name]; dup {
				d.fail(item, indexPath(e.path, i)+".name", ErrValue, "duplicate endpoint name %q (first at %d:%d)", ep.Name, prev.line, prev.col)
			}
			names[ep.Name] = item
			f.Endpoints = append(f.Endpoints, ep)
		}
		d.identify(f.Endpoints, items, e.path)
	}
	return f
}

func (d *decoder) admin(n *node, path string) (a Admin) {
	fs, _ := d.fields(n, path, "a mapping (listen, token)", true, "listen", "token")
	set(fs, "listen", &a.Listen, d.address)
	d.text(fs, "token", &a.Token, "a string", "")
	if _, ok := fs["listen"]; !ok && a.Token != "" {
		d.fail(fs["token"].val, fs["token"].path, ErrValue, "a token without admin.listen: the admin API is off")
	}
	return a
}

// address reads an address: host:port with a numeric port.
func (d *decoder) address(n *node, path string) (string, bool) {
	s, ok := d.str(n, path, "an address (host:port)")
	if !ok {
		return "", false
	}
	_, port, err := net.SplitHostPort(s)
	switch _, perr := strconv.ParseUint(port, 10, 16); {
	case err != nil:
		d.fail(n, path, ErrValue, "invalid address %q (want host:port, e.g. 127.0.0.1:8080)", s)
	case perr != nil:
		d.fail(n, path, ErrValue, "invalid address %q: port %q is not a number from 0 to 65535", s, port)
	default:
		return s, true
	}
	return "", false
}

// anyPort reports whether a checked listen address asks for port 0, a
// free port the system picks: two such listeners get two different ports.
func anyPort(addr string) bool {
	_, port, _ := net.SplitHostPort(addr)
	p, err := strconv.ParseUint(port, 10, 16)
	return err == nil && p == 0
}

func (d *decoder) upstream(n *node, path string) (string, bool) {
	s, ok := d.str(n, path, "a URL")
	if !ok {
		return "", false
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		d.fail(n, path, ErrValue, "invalid URL %q: %w", s, err)
	case u.Scheme != "http" && u.Scheme != "https":
		d.fail(n, path, ErrValue, "upstream %q: want an http:// or https:// URL", s)
	case u.Host == "":
		d.fail(n, path, ErrValue, "upstream %q has no host", s)
	default:
		return s, true
	}
	return "", false
}

// extensionKeys returns the top-level keys starting with "x-": extension
// fields, ignored, that may hold anchors for the rest of the file.
func extensionKeys(root *node) []string {
	var out []string
	for _, k := range root.keys {
		if strings.HasPrefix(k.text, "x-") {
			out = append(out, k.text)
		}
	}
	return out
}
