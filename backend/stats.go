package backend

// Stats is a snapshot of a backend's counters since it was created.
type Stats struct {
	// Label names the backend ("memory", "redis", "l1", ...).
	Label string `json:"label"`
	// Hits and Misses count Get calls that found / did not find an entry.
	Hits   uint64 `json:"hits"`
	Misses uint64 `json:"misses"`
	// Sets and Deletes count successful writes and deletions.
	Sets    uint64 `json:"sets"`
	Deletes uint64 `json:"deletes"`
	// Evictions counts entries the store dropped to stay within its bounds.
	Evictions uint64 `json:"evictions"`
	// DecodeErrors counts stored values that could not be decoded (served
	// as misses).
	DecodeErrors uint64 `json:"decode_errors"`
	// Errors counts failed operations (not misses).
	Errors uint64 `json:"errors"`
	// Entries and Bytes are the current number of entries and the bytes
	// they weigh, or -1 when the store cannot tell.
	Entries int64 `json:"entries"`
	Bytes   int64 `json:"bytes"`
	// Layers holds the stats of each layer of a composition, L1 first.
	Layers []Stats `json:"layers,omitempty"`
}

// StatsReporter is an optional interface a [Backend] may implement to report
// its counters.
type StatsReporter interface {
	Stats() Stats
}
