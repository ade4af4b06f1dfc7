package bytesize_test

import (
	"fmt"

	"github.com/hitbox-go/hitbox/internal/bytesize"
)

func Example() {
	for _, s := range []string{"256MiB", "64MB", "1.5GiB", "4096", "256M"} {
		n, err := bytesize.Parse(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(s, "=", n, "=", bytesize.Format(n))
	}
	// Output:
	// 256MiB = 268435456 = 256MiB
	// 64MB = 64000000 = 64MB
	// 1.5GiB = 1610612736 = 1536MiB
	// 4096 = 4096 = 4KiB
	// bytesize: invalid size: "256M": unit "M" is ambiguous, write MB (powers of 1000) or MiB (powers of 1024)
}
