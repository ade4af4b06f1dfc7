package extract_test

import (
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/extract"
)

func TestStatic(t *testing.T) {
	in := []hitbox.KeyPart{hitbox.Part("tier", "premium"), hitbox.Part("region", "eu")}
	ex := extract.Static(in...)
	in[0] = hitbox.Part("changed", "x") // the extractor keeps its own copy
	r := httptest.NewRequest("GET", "/any", nil)
	got, err := ex.Extract(r, []hitbox.KeyPart{hitbox.Part("method", "GET")})
	if err != nil {
		t.Fatal(err)
	}
	want := []hitbox.KeyPart{hitbox.Part("method", "GET"), hitbox.Part("tier", "premium"), hitbox.Part("region", "eu")}
	if !slices.Equal(got, want) {
		t.Fatalf("parts = %v, want %v", got, want)
	}
}
