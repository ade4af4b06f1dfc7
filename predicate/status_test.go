package predicate_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hitbox-go/hitbox/predicate"
)

func TestStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    predicate.Response
		code int
		want bool
	}{
		{"eq", predicate.Status(200), 200, true},
		{"eq differs", predicate.Status(200), 203, false},
		{"in", predicate.StatusIn(200, 203), 203, true},
		{"in none", predicate.StatusIn(200, 203), 204, false},
		{"in empty never matches", predicate.StatusIn(), 200, false},
		{"class informational", predicate.StatusClass(predicate.Informational), 101, true},
		{"class success low", predicate.StatusClass(predicate.Success), 200, true},
		{"class success high", predicate.StatusClass(predicate.Success), 299, true},
		{"class success not 300", predicate.StatusClass(predicate.Success), 300, false},
		{"class success not 199", predicate.StatusClass(predicate.Success), 199, false},
		{"class redirect", predicate.StatusClass(predicate.Redirect), 304, true},
		{"class client error", predicate.StatusClass(predicate.ClientError), 404, true},
		{"class client error not 500", predicate.StatusClass(predicate.ClientError), 500, false},
		{"class server error", predicate.StatusClass(predicate.ServerError), 503, true},
		{"class unknown never matches", predicate.StatusClass(predicate.Class(9)), 900, false},
		{"class zero never matches", predicate.StatusClass(0), 0, false},
		{"range low end", predicate.StatusRange(200, 299), 200, true},
		{"range high end", predicate.StatusRange(200, 299), 299, true},
		{"range below", predicate.StatusRange(200, 299), 199, false},
		{"range above", predicate.StatusRange(200, 299), 300, false},
		{"range single", predicate.StatusRange(404, 404), 404, true},
		{"range reversed never matches", predicate.StatusRange(299, 200), 250, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.p.Match(&http.Response{StatusCode: tt.code}); got != tt.want {
				t.Errorf("Match(status %d) = %v, want %v", tt.code, got, tt.want)
			}
		})
	}
}

func TestStatusInCopiesCodes(t *testing.T) {
	t.Parallel()
	codes := []int{200, 203}
	p := predicate.StatusIn(codes...)
	codes[1] = 500
	if !p.Match(&http.Response{StatusCode: 203}) {
		t.Errorf("StatusIn(200, 203) changed after its slice was modified")
	}
}

func TestClass(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		c    predicate.Class
		name string
	}{
		{predicate.Informational, "Informational"},
		{predicate.Success, "Success"},
		{predicate.Redirect, "Redirect"},
		{predicate.ClientError, "ClientError"},
		{predicate.ServerError, "ServerError"},
	} {
		if got := tt.c.String(); got != tt.name {
			t.Errorf("Class(%d).String() = %q, want %q", int(tt.c), got, tt.name)
		}
		got, err := predicate.ParseClass(tt.name)
		if err != nil || got != tt.c {
			t.Errorf("ParseClass(%q) = %v, %v; want %v, nil", tt.name, got, err, tt.c)
		}
	}
	if got := predicate.Class(0).String(); got != "Class(0)" {
		t.Errorf("Class(0).String() = %q, want Class(0)", got)
	}
	for _, bad := range []string{"", "success", "Error", "2xx"} {
		if c, err := predicate.ParseClass(bad); err == nil || !strings.Contains(err.Error(), `"`+bad+`"`) {
			t.Errorf("ParseClass(%q) = %v, %v; want an error naming it", bad, c, err)
		}
	}
}
