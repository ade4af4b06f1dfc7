package predicate

import (
	"fmt"
	"net/http"
	"slices"
)

// Class is a class of status codes, named by its first digit.
type Class int

// The status classes, as the configuration language names them.
const (
	Informational Class = iota + 1 // 1xx
	Success                        // 2xx
	Redirect                       // 3xx
	ClientError                    // 4xx
	ServerError                    // 5xx
)

var classNames = [...]string{"", "Informational", "Success", "Redirect", "ClientError", "ServerError"}

// String returns the class's name in the configuration language
// ("Success"), or "Class(N)" for a value outside the enumeration.
func (c Class) String() string {
	if c >= Informational && c <= ServerError {
		return classNames[c]
	}
	return fmt.Sprintf("Class(%d)", int(c))
}

// ParseClass returns the class named s, exactly as [Class.String] writes
// it ("ClientError"). Another name is an error naming it.
func ParseClass(s string) (Class, error) {
	for c := Informational; c <= ServerError; c++ {
		if classNames[c] == s {
			return c, nil
		}
	}
	return 0, fmt.Errorf("predicate: invalid status class %q (want Informational, Success, Redirect, ClientError or ServerError)", s)
}

// Status returns a predicate that holds when the response's status code is
// code.
func Status(code int) Response {
	return statusRange{lo: code, hi: code}
}

// StatusIn returns a predicate that holds when the response's status code
// is one of codes. With no codes it never holds.
func StatusIn(codes ...int) Response {
	return statusIn(slices.Clone(codes))
}

// StatusClass returns a predicate that holds when the response's status
// code is in class c (Success: 200 to 299). A class outside the enumeration
// never holds.
func StatusClass(c Class) Response {
	if c < Informational || c > ServerError {
		return statusRange{lo: 1, hi: 0}
	}
	lo := int(c) * 100
	return statusRange{lo: lo, hi: lo + 99}
}

// StatusRange returns a predicate that holds when the response's status
// code is between lo and hi, both included. When lo > hi it never holds.
func StatusRange(lo, hi int) Response {
	return statusRange{lo: lo, hi: hi}
}

type statusRange struct{ lo, hi int }

func (s statusRange) Match(resp *http.Response) bool {
	return resp != nil && s.lo <= resp.StatusCode && resp.StatusCode <= s.hi
}

type statusIn []int

func (s statusIn) Match(resp *http.Response) bool {
	return resp != nil && slices.Contains(s, resp.StatusCode)
}
