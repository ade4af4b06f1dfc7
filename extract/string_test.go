package extract

import (
	"fmt"
	"testing"
)

func TestExtractorString(t *testing.T) {
	t.Parallel()
	must := func(e Extractor, err error) Extractor {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	hash := Transforms{{Kind: TransformHash}}
	tests := []struct {
		e    Extractor
		want string
	}{
		{Method(), `Method`},
		{must(Path("/a/{id}")), `Path "/a/{id}"`},
		{must(Path("{path}*")), `Path "{path}*"`},
		{must(Path("v1/a")), `Path "v1/a"`},
		{Default()[1], `Path "{path}*"`},
		{Query("page"), `Query "page"`},
		{Header("X-Tenant"), `Header "X-Tenant"`},
		{must(QuerySelector(Selector{Name: "q", Value: "^(a)", Transforms: Transforms{{Kind: TransformTruncate, N: 3}}})),
			`Query "q" value "^(a)" transforms [truncate 3]`},
		{must(HeaderSelector(Selector{Name: "X-", Prefix: true, Transforms: hash})), `Header starts "X-" transforms [hash]`},
		{must(Body(".a")), `Body ".a"`},
		{must(BodyJQ("{a: .a}")), `Body jq "{a: .a}"`},
		{BodyHash(), `Body hash`},
		{must(BodyRegex("t=(\\w+)", "", false, PartTransforms{})), `Body regex "t=(\\w+)" key "body" global false`},
		{must(BodyRegex("(?P<u>u)", "k", true, PartTransforms{ByPart: map[string]Transforms{"u": hash}})),
			`Body regex "(?P<u>u)" key "k" global true transforms {u: [hash]}`},
	}
	for _, tt := range tests {
		if got := fmt.Sprint(tt.e); got != tt.want {
			t.Errorf("String() = %s, want %s", got, tt.want)
		}
	}
}
