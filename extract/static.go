package extract

import (
	"net/http"

	"github.com/hitbox-go/hitbox"
)

// Static returns an extractor adding fixed parts, whatever the request:
// hitbox's `Static: {tier: premium, region: eu}` tag source, given as
// Static(hitbox.Part("tier", "premium"), hitbox.Part("region", "eu")).
// The parts are added in the order given.
func Static(parts ...hitbox.KeyPart) Extractor {
	return staticExtractor(append([]hitbox.KeyPart(nil), parts...))
}

type staticExtractor []hitbox.KeyPart

func (s staticExtractor) Extract(_ *http.Request, parts []hitbox.KeyPart) ([]hitbox.KeyPart, error) {
	return append(parts, s...), nil
}
