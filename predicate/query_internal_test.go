package predicate

import (
	"net/url"
	"reflect"
	"testing"
)

// queryValues returns every value of the parameter name in rawQuery, as the
// Query predicate's scanner reads them.
func queryValues(rawQuery, name string) []string {
	var out []string
	s := newQueryScanner(rawQuery)
	for {
		v, ok := s.next(name)
		if !ok {
			return out
		}
		out = append(out, v)
	}
}

// TestQueryValuesAgreesWithURLQuery checks that the query scanner sees what
// r.URL.Query() sees, name[] aside.
func TestQueryValuesAgreesWithURLQuery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		query string
		param string
	}{
		{"single", "a=1", "a"},
		{"repeated", "a=1&b=2&a=3", "a"},
		{"empty and bare", "a=&a&a=x", "a"},
		{"escapes", "a=%41%2B+b&%61=c", "a"},
		{"semicolons", "a=1;a=2&a=3", "a"},
		{"bad escapes", "a=%&a=%4&a=%41&%zz=1", "a"},
		{"empty pairs", "&&a=1&&", "a"},
		{"equals in value", "a=b=c", "a"},
		{"brackets", "c[]=1&c=2&c%5B%5D=3", "c"},
		{"absent", "b=1", "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u := &url.URL{RawQuery: tt.query}
			q := u.Query()
			want := append(q[tt.param], q[tt.param+"[]"]...)
			got := queryValues(tt.query, tt.param)
			if !sameMultiset(got, want) {
				t.Errorf("QueryValues(%q, %q) = %q, want (in any order) %q", tt.query, tt.param, got, want)
			}
		})
	}
	if got, want := queryValues("c[]=1&c=2&c%5B%5D=3", "c"), []string{"1", "2", "3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("QueryValues keeps the order of appearance: got %q, want %q", got, want)
	}
	if got := queryValues("a=1", "b"); got != nil {
		t.Errorf("QueryValues of an absent parameter = %q, want nil", got)
	}
}

func sameMultiset(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	count := map[string]int{}
	for _, s := range a {
		count[s]++
	}
	for _, s := range b {
		count[s]--
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return true
}
