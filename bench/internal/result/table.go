package result

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// Line is one line of the table: hitbox's median figure beside one peer's.
type Line struct {
	Row    string `json:"row"`
	Case   string `json:"case,omitempty"`
	Metric string `json:"metric"`
	Unit   Unit   `json:"unit"`
	// Hitbox and Peer are the medians; HitboxNA and PeerNA say why one is
	// missing.
	Hitbox   float64 `json:"hitbox"`
	HitboxNA string  `json:"hitbox_na,omitempty"`
	PeerName string  `json:"peer,omitempty"`
	Peer     float64 `json:"peer_value"`
	PeerNA   string  `json:"peer_na,omitempty"`
	// Comparison is hitbox ÷ peer (points for percentages) when both exist.
	Comparison *float64 `json:"comparison,omitempty"`
	Target     *Target  `json:"target,omitempty"`
	// Met is whether the target holds, when it is checked.
	Met  *bool  `json:"met,omitempty"`
	Note string `json:"note,omitempty"`
	// Reps is how many repetitions the medians are taken over.
	Reps int `json:"reps"`
}

// subject is one subject's figures across repetitions.
type subject struct {
	name   string
	values []float64
	na     string
	note   string
	target *Target
}

func (s *subject) median() float64 {
	if len(s.values) == 0 {
		return 0
	}
	v := slices.Clone(s.values)
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// Lines turns the measures of every repetition into table lines, in the
// order the rows first reported them.
func Lines(ms []Measure) []Line {
	type group struct {
		first    Measure
		subjects []*subject
	}
	var order []string
	groups := map[string]*group{}
	for _, m := range ms {
		g := groups[m.Key()]
		if g == nil {
			g = &group{first: m}
			groups[m.Key()] = g
			order = append(order, m.Key())
		}
		i := slices.IndexFunc(g.subjects, func(s *subject) bool { return s.name == m.Subject })
		if i < 0 {
			g.subjects = append(g.subjects, &subject{name: m.Subject})
			i = len(g.subjects) - 1
		}
		s := g.subjects[i]
		switch {
		case m.NA != "":
			s.na = m.NA
		default:
			s.values = append(s.values, m.Value)
		}
		if m.Note != "" {
			s.note = m.Note
		}
		if m.Target != nil {
			s.target = m.Target
		}
	}
	var out []Line
	for _, k := range order {
		g := groups[k]
		var h *subject
		var peers []*subject
		for _, s := range g.subjects {
			if s.name == Hitbox {
				h = s
			} else {
				peers = append(peers, s)
			}
		}
		if h == nil {
			h = &subject{name: Hitbox, na: "not measured"}
		}
		base := Line{Row: g.first.Row, Case: g.first.Case, Metric: g.first.Metric, Unit: g.first.Unit,
			HitboxNA: h.na, Reps: len(h.values)}
		if h.na == "" {
			base.Hitbox = h.median()
		}
		if len(peers) == 0 {
			base.Note = h.note
			out = append(out, base)
			continue
		}
		for _, p := range peers {
			l := base
			l.PeerName, l.PeerNA, l.Target = p.name, p.na, p.target
			l.Note = joinNotes(h.note, p.name, p.note)
			if p.na == "" {
				l.Peer = p.median()
				l.Reps = min(len(h.values), len(p.values))
			}
			if l.HitboxNA == "" && l.PeerNA == "" {
				if c, ok := l.Unit.Compare(l.Hitbox, l.Peer); ok {
					l.Comparison = &c
				}
			}
			if l.HitboxNA == "" && (l.Comparison != nil || (l.Target != nil && l.Target.Absolute)) {
				var c float64
				if l.Comparison != nil {
					c = *l.Comparison
				}
				if met, checked := l.Target.Check(l.Hitbox, c); checked {
					l.Met = &met
				}
			}
			out = append(out, l)
		}
	}
	return out
}

func joinNotes(hnote, peer, pnote string) string {
	var parts []string
	if hnote != "" {
		parts = append(parts, "hitbox: "+hnote)
	}
	if pnote != "" {
		parts = append(parts, peer+": "+pnote)
	}
	return strings.Join(parts, "; ")
}

// Report is a whole run: where and how it ran, and its lines.
type Report struct {
	Date     string            `json:"date"`
	Machine  string            `json:"machine"`
	Command  string            `json:"command"`
	Versions map[string]string `json:"versions"`
	Notes    []string          `json:"notes,omitempty"`
	Lines    []Line            `json:"lines"`
	Measures []Measure         `json:"measures"`
}

// WriteJSON writes r to path as indented JSON.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// WriteTable writes the lines as a Markdown table.
func WriteTable(w io.Writer, lines []Line) error {
	var b strings.Builder
	b.WriteString("| row | case | metric | hitbox | peer | peer's figure | hitbox ÷ peer | target | met | notes |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, l := range lines {
		h := l.Unit.Format(l.Hitbox)
		if l.HitboxNA != "" {
			h = "n/a (" + l.HitboxNA + ")"
		}
		p := ""
		if l.PeerName != "" {
			p = l.Unit.Format(l.Peer)
			if l.PeerNA != "" {
				p = "n/a (" + l.PeerNA + ")"
			}
		}
		c := ""
		if l.Comparison != nil {
			c = l.Unit.FormatComparison(*l.Comparison)
		}
		t := ""
		if l.Target != nil {
			t = l.Target.Text
		}
		met := ""
		if l.Met != nil {
			met = "no"
			if *l.Met {
				met = "yes"
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			escape(l.Row), escape(l.Case), escape(l.Metric), escape(h), escape(l.PeerName),
			escape(p), c, escape(t), met, escape(l.Note))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown writes the report as a Markdown document: the run's
// details, then the table.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "- date: %s\n- machine: %s\n- command: `%s`\n", r.Date, r.Machine, r.Command)
	keys := make([]string, 0, len(r.Versions))
	for k := range r.Versions {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b.WriteString("- versions:\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "  - %s: %s\n", k, r.Versions[k])
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	b.WriteString("\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	return WriteTable(w, r.Lines)
}
