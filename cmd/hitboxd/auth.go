package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// How the dashboard's browser proves it knows the token: POST /login with
// the token sets the session cookie, an expiry and an HMAC of (expiry,
// token) under a key of this process; the cookie never holds the token.
// A session ends at its expiry, at POST /logout (which drops the cookie),
// when the token changes (the HMAC no longer matches) and when hitboxd
// restarts (a new key).
const (
	// sessionCookie names the dashboard's session cookie.
	sessionCookie = "hitboxd_session"
	// sessionTTL is how long a session lasts.
	sessionTTL = 12 * time.Hour
)

// authResult is what a request's credentials are worth.
type authResult int

const (
	// authOK: the token in force, or a session for it, or no token is
	// set.
	authOK authResult = iota
	// authMissing: no token, or a session past its expiry (a browser
	// left open, not a guess): 401, not counted against the client.
	authMissing
	// authWrong: a wrong token or a session that is not one of ours
	// (forged, tampered, for another token or from before a restart):
	// 401, counted against the client (see [authLimiter]).
	authWrong
)

// authorized reports what r's credentials are worth against want, the
// token in force, as a bearer token or through a session cookie, comparing
// in constant time (hashes, so the token's length does not leak either).
// bySession says the cookie was used.
func (a *adminAPI) authorized(r *http.Request, want string) (res authResult, bySession bool) {
	if want == "" {
		return authOK, false
	}
	if scheme, got, found := strings.Cut(r.Header.Get("Authorization"), " "); found && strings.EqualFold(scheme, "Bearer") {
		return checkToken(want, strings.TrimSpace(got)), false
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return authMissing, false
	}
	return a.checkSession(c.Value, want), true
}

// checkToken compares got with want, the token in force; an empty got is
// missing, not wrong.
func checkToken(want, got string) authResult {
	switch {
	case got == "":
		return authMissing
	case sameSecret(want, got):
		return authOK
	}
	return authWrong
}

// sameSecret compares two secrets in constant time.
func sameSecret(want, got string) bool {
	w, g := sha256.Sum256([]byte(want)), sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(w[:], g[:]) == 1
}

// sessionMAC is the HMAC of (expiry, token) under the process's key.
func (a *adminAPI) sessionMAC(expiry int64, token string) []byte {
	m := hmac.New(sha256.New, a.key[:])
	m.Write([]byte(strconv.FormatInt(expiry, 10) + "\x00" + token))
	return m.Sum(nil)
}

// newSession returns a session cookie's value for token, valid until
// expiry.
func (a *adminAPI) newSession(expiry time.Time, token string) string {
	e := expiry.Unix()
	return strconv.FormatInt(e, 10) + "." + base64.RawURLEncoding.EncodeToString(a.sessionMAC(e, token))
}

// checkSession reports whether v is an unexpired session for token; a
// session past the expiry it states is missing, not wrong, without a look
// at its HMAC.
func (a *adminAPI) checkSession(v, token string) authResult {
	es, macs, ok := strings.Cut(v, ".")
	if !ok {
		return authWrong
	}
	e, err := strconv.ParseInt(es, 10, 64)
	if err != nil {
		return authWrong
	}
	if a.clock().Unix() >= e {
		return authMissing
	}
	mac, err := base64.RawURLEncoding.DecodeString(macs)
	if err != nil || !hmac.Equal(mac, a.sessionMAC(e, token)) {
		return authWrong
	}
	return authOK
}

// newSessionKey returns a random HMAC key.
func newSessionKey() [32]byte {
	var k [32]byte
	_, _ = rand.Read(k[:]) // crypto/rand.Read never fails
	return k
}

// guard answers 429 while r's client is throttled for wrong tokens (see
// [authLimiter]), 401 unless r is authorized, and refuses cross-site
// browser requests that change something (see [adminAPI.sameSite]).
func (a *adminAPI) guard(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		want := a.token()
		if want != "" && a.throttled(w, r) {
			return
		}
		res, bySession := a.authorized(r, want)
		if res != authOK {
			if res == authWrong {
				a.failed(r)
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="hitboxd"`)
			writeJSONError(w, http.StatusUnauthorized, "missing or wrong bearer token")
			return
		}
		if !a.sameSite(w, r, bySession) {
			return
		}
		h(w, r)
	}
}

// throttled answers 429 with Retry-After, before any look at its token,
// when r's client has used up its budget of wrong tokens: the right token
// is refused too, or the answer would still tell a guess right.
func (a *adminAPI) throttled(w http.ResponseWriter, r *http.Request) bool {
	wait := a.fails.wait(authClientOf(r), a.clock())
	if wait <= 0 {
		return false
	}
	secs := int64((wait + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	writeJSONError(w, http.StatusTooManyRequests, fmt.Sprintf("too many wrong tokens from this address: retry in %ds", secs))
	return true
}

// failed counts a wrong token from r's client, with a warning when that
// throttles the client (once until its budget is full again; the log's
// throttle then folds many clients' warnings into one line per interval).
func (a *adminAPI) failed(r *http.Request) {
	client := authClientOf(r)
	if a.fails.fail(client, a.clock()) && a.log != nil {
		a.log.Warn("admin: too many wrong tokens, client throttled", "client", client, "path", r.URL.Path,
			"burst", authBurst, "refill", authRefill.String())
	}
}

// sameSite refuses, with 403, a request that changes something and that a
// browser sent from another site (Sec-Fetch-Site or Origin say so), and
// one authorized by the session cookie that is a POST without a JSON body
// (which a plain HTML form cannot send). With the cookie's SameSite=Strict
// these are three walls against cross-site request forgery.
func (a *adminAPI) sameSite(w http.ResponseWriter, r *http.Request, bySession bool) bool {
	if err := a.csrf.Check(r); err != nil {
		writeJSONError(w, http.StatusForbidden, "cross-site request refused: "+err.Error())
		return false
	}
	if bySession && r.Method == http.MethodPost && !isJSON(r) {
		writeJSONError(w, http.StatusUnsupportedMediaType, "with the session cookie, a POST needs Content-Type: application/json")
		return false
	}
	return true
}

// isJSON reports whether r's body is declared as JSON.
func isJSON(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

// login is POST /login {"token": "..."}: it sets the session cookie when
// the token is right.
func (a *adminAPI) login(w http.ResponseWriter, r *http.Request) {
	if !a.sameSite(w, r, false) {
		return
	}
	want := a.token()
	if want != "" && a.throttled(w, r) {
		return
	}
	if !isJSON(r) {
		writeJSONError(w, http.StatusUnsupportedMediaType, `POST /login needs Content-Type: application/json and {"token": "..."}`)
		return
	}
	var req struct {
		Token string `json:"token"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAdminBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeJSONError(w, http.StatusBadRequest, `body: want {"token": "..."}: `+err.Error())
		return
	}
	if want == "" {
		writeJSON(w, http.StatusOK, map[string]bool{"token_required": false})
		return
	}
	if res := checkToken(want, req.Token); res != authOK {
		if res == authWrong {
			a.failed(r)
		}
		writeJSONError(w, http.StatusUnauthorized, "wrong token")
		return
	}
	expiry := a.clock().Add(sessionTTL)
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    a.newSession(expiry, want),
		Path:     "/",
		Expires:  expiry,
		MaxAge:   int(sessionTTL / time.Second),
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	})
	writeJSON(w, http.StatusOK, map[string]bool{"token_required": true})
}

// logout is POST /logout: it drops the session cookie.
func (a *adminAPI) logout(w http.ResponseWriter, r *http.Request) {
	if !a.sameSite(w, r, false) {
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Path:     "/",
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	})
	writeJSON(w, http.StatusOK, map[string]bool{"logged_out": true})
}
