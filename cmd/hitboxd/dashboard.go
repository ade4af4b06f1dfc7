package main

import (
	"embed"
	"net/http"
)

// web holds the dashboard: one page, its script and its style sheet,
// plain files with no build step, served as they are (nothing from
// another site: it works offline).
//
//go:embed web/index.html web/app.js web/style.css
var web embed.FS

// dashboardCSP keeps the page to its own files: no inline script, no
// other site, no framing (purge buttons must not be clickjacked).
const dashboardCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// dashboard returns the handlers of the dashboard's files by path. They
// need no token: the page asks for it (POST /login) before it reads
// anything.
func (a *adminAPI) dashboard() map[string]http.HandlerFunc {
	file := func(name, contentType string) http.HandlerFunc {
		body, err := web.ReadFile("web/" + name)
		if err != nil {
			panic("dashboard: " + name + " is not embedded: " + err.Error()) // the go:embed line lists it
		}
		return func(w http.ResponseWriter, _ *http.Request) {
			h := w.Header()
			h.Set("Content-Type", contentType)
			h.Set("Content-Security-Policy", dashboardCSP)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("Cache-Control", "no-cache")
			_, _ = w.Write(body)
		}
	}
	return map[string]http.HandlerFunc{
		"/{$}":       file("index.html", "text/html; charset=utf-8"),
		"/app.js":    file("app.js", "text/javascript; charset=utf-8"),
		"/style.css": file("style.css", "text/css; charset=utf-8"),
	}
}
