package backend

import (
	"math"
	"testing"
	"time"
)

func TestEntryDeadlineNano(t *testing.T) {
	t.Parallel()
	at := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	tests := []struct {
		name string
		e    Entry
		want int64
	}{
		{"never expires", Entry{Keep: time.Hour}, math.MaxInt64},
		{"expire only", Entry{Expire: at}, at.UnixNano()},
		{"expire plus keep", Entry{Expire: at, Keep: time.Minute}, at.Add(time.Minute).UnixNano()},
		{"negative keep", Entry{Expire: at, Keep: -time.Minute}, at.UnixNano()},
		{"beyond int64", Entry{Expire: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)}, math.MaxInt64},
		{"before int64", Entry{Expire: time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)}, math.MinInt64},
	}
	for _, tt := range tests {
		if got := tt.e.DeadlineNano(); got != tt.want {
			t.Errorf("%s: DeadlineNano() = %d, want %d", tt.name, got, tt.want)
		}
	}
}
