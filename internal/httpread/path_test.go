package httpread_test

import (
	"net/http"
	"testing"

	"github.com/hitbox-go/hitbox/internal/httpread"
)

func TestPath(t *testing.T) {
	t.Parallel()
	client, err := http.NewRequest(http.MethodGet, "http://example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := httpread.Path(client); got != "/" {
		t.Errorf("Path(GET http://example.com) = %q, want %q", got, "/")
	}
	if got := httpread.Path(&http.Request{}); got != "" {
		t.Errorf("Path(request without URL) = %q, want empty", got)
	}
	if got := httpread.Path(nil); got != "" {
		t.Errorf("Path(nil) = %q, want empty", got)
	}
}
