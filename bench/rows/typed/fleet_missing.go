//go:build hbnoredis

package typed

import (
	"context"
	"fmt"
)

// hitboxOverRedis is missing: this build has no Redis backend.
func hitboxOverRedis(context.Context, string, string, *counter) (func() error, func(), error) {
	return nil, nil, fmt.Errorf("%w: backend/redis does not build (its Locker)", errMissing)
}
