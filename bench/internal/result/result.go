// Package result holds what a benchmark row measures (a [Measure] per
// subject: hitbox or one of its peers), the targets of docs/performance.md,
// and how repetitions become one table of medians and ratios.
package result

import (
	"fmt"
	"strings"
)

// Hitbox is the Subject of hitbox's own figures; every other subject of a
// line is a peer.
const Hitbox = "hitbox"

// Measure is one figure of one subject in one repetition.
type Measure struct {
	// Row is the row of performance.md ("memory hit", "composition L2 hit").
	Row string `json:"row"`
	// Case narrows the row ("2 CPUs", "1 KiB", "s=0.8, 1%").
	Case string `json:"case,omitempty"`
	// Metric names the figure ("ops/s", "p50", "hit ratio").
	Metric string `json:"metric"`
	// Unit says how Value reads; see the Unit constants.
	Unit Unit `json:"unit"`
	// Subject is [Hitbox] or a peer's name.
	Subject string `json:"subject"`
	// Value is the figure.
	Value float64 `json:"value"`
	// NA, when set, says why there is no figure.
	NA string `json:"na,omitempty"`
	// Note is shown beside the figure (allocations, wrk CPU, checks).
	Note string `json:"note,omitempty"`
	// Target, on a peer's Measure, is hitbox's target against that peer.
	Target *Target `json:"target,omitempty"`
}

// Key identifies a table line's group: the figures compared with each other.
func (m Measure) Key() string { return m.Row + "\x00" + m.Case + "\x00" + m.Metric }

// Unit is how a figure reads and how two figures compare.
type Unit string

// Units.
const (
	PerSecond Unit = "/s"     // throughput; ratio hitbox ÷ peer, higher is better
	Nanos     Unit = "ns"     // latency; ratio hitbox ÷ peer, lower is better
	Percent   Unit = "%"      // hit ratio; compared as a difference in points
	Bytes     Unit = "B"      // sizes
	Times     Unit = "x"      // a ratio already (heap ÷ budget)
	Count     Unit = "count"  // upstream calls, allocations
	PerOp     Unit = "allocs" // allocations per operation
)

// Format renders v in unit u.
func (u Unit) Format(v float64) string {
	switch u {
	case PerSecond:
		return si(v) + "/s"
	case Nanos:
		switch {
		case v >= 1e6:
			return fmt.Sprintf("%.2fms", v/1e6)
		case v >= 1e3:
			return fmt.Sprintf("%.2fµs", v/1e3)
		}
		return fmt.Sprintf("%.0fns", v)
	case Percent:
		return fmt.Sprintf("%.2f%%", v)
	case Bytes:
		return fmt.Sprintf("%.1f MiB", v/(1<<20))
	case Times:
		return fmt.Sprintf("%.2f×", v)
	case PerOp:
		return fmt.Sprintf("%.1f allocs", v)
	}
	return fmt.Sprintf("%.0f", v)
}

func si(v float64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.2fG", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fK", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// Compare returns how hitbox's figure h stands against a peer's p: h ÷ p,
// or h − p in points for percentages. ok is false when there is no sensible
// comparison (a zero peer figure).
func (u Unit) Compare(h, p float64) (v float64, ok bool) {
	if u == Percent {
		return h - p, true
	}
	if p == 0 {
		return 0, false
	}
	return h / p, true
}

// FormatComparison renders what Compare returned.
func (u Unit) FormatComparison(v float64) string {
	if u == Percent {
		return fmt.Sprintf("%+.2f pt", v)
	}
	return fmt.Sprintf("%.2f×", v)
}

// Target is a goal of performance.md for a line.
type Target struct {
	// Text is the goal as performance.md words it ("≥ 0.8× otter").
	Text string `json:"text"`
	// Op and Value are the check: the comparison of hitbox with the peer
	// (a ratio, or a difference in points), or hitbox's own figure when
	// Absolute is set, must satisfy Op Value. An empty Op is not checked.
	Op       string  `json:"op,omitempty"`
	Value    float64 `json:"value,omitempty"`
	Absolute bool    `json:"absolute,omitempty"`
}

// AtLeast, AtMost, Above, Below and Exactly make checked targets on the
// comparison with the peer.
func AtLeast(v float64, text string) *Target { return &Target{Text: text, Op: ">=", Value: v} }

// AtMost is a checked target: comparison ≤ v.
func AtMost(v float64, text string) *Target { return &Target{Text: text, Op: "<=", Value: v} }

// Above is a checked target: comparison > v.
func Above(v float64, text string) *Target { return &Target{Text: text, Op: ">", Value: v} }

// Below is a checked target: comparison < v.
func Below(v float64, text string) *Target { return &Target{Text: text, Op: "<", Value: v} }

// Exactly is a checked target on hitbox's own figure.
func Exactly(v float64, text string) *Target {
	return &Target{Text: text, Op: "==", Value: v, Absolute: true}
}

// Check reports whether the target holds for hitbox's figure h and the
// comparison c, and false for unchecked targets as the second result.
func (t *Target) Check(h, c float64) (met, checked bool) {
	if t == nil || t.Op == "" {
		return false, false
	}
	x := c
	if t.Absolute {
		x = h
	}
	switch t.Op {
	case ">=":
		return x >= t.Value, true
	case "<=":
		return x <= t.Value, true
	case ">":
		return x > t.Value, true
	case "<":
		return x < t.Value, true
	case "==":
		return x == t.Value, true
	}
	return false, false
}

// NA returns a Measure with no figure for subject, explaining why.
func NA(row, cas, metric string, unit Unit, subject, why string) Measure {
	return Measure{Row: row, Case: cas, Metric: metric, Unit: unit, Subject: subject, NA: why}
}

// maxCell bounds the text of one table cell.
const maxCell = 300

// escape makes s one line, at most maxCell bytes, safe inside a Markdown
// table cell.
func escape(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxCell {
		s = s[:maxCell] + "…"
	}
	return strings.ReplaceAll(s, "|", `\|`)
}

// FleetReport is what one process of the two-process stampede prints: its
// upstream calls, or why it could not run.
type FleetReport struct {
	Calls int64  `json:"calls"`
	NA    string `json:"na,omitempty"`
}
