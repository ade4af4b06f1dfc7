package main

// The example Grafana dashboard and Prometheus alert rules
// (examples/grafana-dashboard.json, examples/prometheus-alerts.yaml) are
// checked against what a running hitboxd exports: every PromQL expression
// they hold must parse, and every metric name it selects must be in
// hitboxd's /metrics.

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/hitbox-go/hitbox"
	"github.com/hitbox-go/hitbox/internal/redistest"
)

var (
	dashboardFile = filepath.Join("..", "..", "examples", "grafana-dashboard.json")
	alertsFile    = filepath.Join("..", "..", "examples", "prometheus-alerts.yaml")
)

// promQuery is one PromQL expression of an example file, and where it is.
type promQuery struct {
	where, expr string
}

// prometheusMade are the series Prometheus makes itself for every target.
var prometheusMade = map[string]bool{"up": true}

// TestExampleDashboardAndAlerts: hitboxd with a memory L1 over Redis (so
// that breakers and invalidation have series) serves some traffic, then
// every query of the example dashboard and alert rules names only series
// its /metrics has.
func TestExampleDashboardAndAlerts(t *testing.T) {
	t.Parallel()
	dash := dashboardQueries(t)
	alerts := alertQueries(t)

	srv := redistest.Start(t)
	up := newTestUpstream(t)
	p := startInProcess(t, testConfig(up.URL, memoryOverRedis(quickBreaker)(srv.URL()), booksEndpoints))
	c := newClient(t)
	send(t, c, "GET", p.proxy+"/books/1", "", nil)            // miss, upstream call
	send(t, c, "GET", p.proxy+"/books/1", "", nil)            // hit
	send(t, c, "GET", p.proxy+"/books/2?status=503", "", nil) // upstream failure
	send(t, c, "GET", p.proxy+"/unmatched", "", nil)          // no endpoint: bypass
	// Series that only appear after events this test does not wait for
	// (a stale entry and an upstream outage, a refresh) are recorded as
	// the flow would; a dropped task is a real one: the runner is filled.
	p.d.met.Record(hitbox.Event{Kind: hitbox.EventStaleIfError, Endpoint: "books", Err: hitbox.ErrUpstreamFailed})
	p.d.met.Record(hitbox.Event{Kind: hitbox.EventRevalidate, Endpoint: "books"})
	fillRunner(t, p)

	var used []string
	for _, q := range slices.Concat(dash, alerts) {
		names, err := queryNames(q.expr)
		if err != nil {
			t.Errorf("%s: %v\n%s", q.where, err, q.expr)
			continue
		}
		if len(names) == 0 {
			t.Errorf("%s: names no series: %s", q.where, q.expr)
		}
		used = append(used, names...)
	}
	exported := awaitSeries(t, c, p.admin+"/metrics", used)
	for _, q := range slices.Concat(dash, alerts) {
		names, _ := queryNames(q.expr)
		for _, n := range names {
			if !exported[n] && !prometheusMade[n] {
				t.Errorf("%s: %s is not a series hitboxd exports: %s", q.where, n, q.expr)
			}
		}
	}

	// What the issue asks them to show.
	for _, cov := range []struct {
		file    string
		queries []promQuery
		want    []string
	}{
		{dashboardFile, dash, []string{
			"hitbox_requests_total", "hitbox_upstream_duration_seconds_bucket", "hitbox_upstream_requests_total",
			"hitbox_backend_bytes", "hitbox_backend_entries", "hitbox_backend_breaker_state",
			"hitbox_offload_running", "hitbox_offload_dropped_total", "hitbox_tag_purges_total",
		}},
		{alertsFile, alerts, []string{
			"up", "hitbox_requests_total", "hitbox_backend_breaker_state", "hitbox_upstream_requests_total",
			"hitbox_offload_dropped_total",
		}},
	} {
		var names []string
		for _, q := range cov.queries {
			n, _ := queryNames(q.expr)
			names = append(names, n...)
		}
		for _, w := range cov.want {
			if !slices.Contains(names, w) {
				t.Errorf("%s: no query uses %s", cov.file, w)
			}
		}
	}
}

// fillRunner takes every slot of the offload runner in force until one
// more task is dropped, then frees them.
func fillRunner(t *testing.T, p *inProcess) {
	t.Helper()
	r := p.d.cur.Load().gen.runner
	release := make(chan struct{})
	defer close(release)
	for n := 0; r.TryGo("fill", func(context.Context) { <-release }); n++ {
		if n > 10_000 {
			t.Fatal("the offload runner never refused a task")
		}
	}
}

// awaitSeries scrapes target until it has every name of want (or the
// deadline passes) and returns the names of its series.
func awaitSeries(t *testing.T, c *http.Client, target string, want []string) map[string]bool {
	t.Helper()
	deadline := time.Now().Add(2 * e2eTimeout)
	for {
		a := send(t, c, "GET", target, "", nil)
		if a.Code != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", target, a.Code, a.Body)
		}
		names := map[string]bool{}
		for line := range strings.Lines(string(a.Body)) {
			if line = strings.TrimSpace(line); line == "" || line[0] == '#' {
				continue
			}
			if i := strings.IndexAny(line, "{ "); i > 0 {
				names[line[:i]] = true
			}
		}
		missing := slices.DeleteFunc(slices.Clone(want), func(n string) bool { return names[n] || prometheusMade[n] })
		if len(missing) == 0 || time.Now().After(deadline) {
			return names
		}
		time.Sleep(20 * time.Millisecond) // poll: the scrape is taken again
	}
}

// grafanaVar is a Grafana variable in a query: $name, ${name}, [[name]].
var grafanaVar = regexp.MustCompile(`\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]`)

// grafanaIntervals are Grafana's variables that stand for a duration.
var grafanaIntervals = map[string]bool{"__rate_interval": true, "__interval": true, "__range": true}

// queryNames parses expr (Grafana's variables replaced: durations by 5m,
// the others by .*, as they only stand in regex matchers) and returns the
// metric names it selects.
func queryNames(expr string) ([]string, error) {
	expr = grafanaVar.ReplaceAllStringFunc(expr, func(v string) string {
		m := grafanaVar.FindStringSubmatch(v)
		if grafanaIntervals[m[1]+m[2]+m[3]] {
			return "5m"
		}
		return ".*"
	})
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	var names []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		if vs.Name != "" {
			names = append(names, vs.Name)
			return nil
		}
		for _, m := range vs.LabelMatchers {
			if m.Name == model.MetricNameLabel {
				names = append(names, m.Value)
			}
		}
		return nil
	})
	return names, nil
}

// dashboard is the part of Grafana's dashboard JSON model the test reads.
type dashboard struct {
	Title         string `json:"title"`
	UID           string `json:"uid"`
	SchemaVersion int    `json:"schemaVersion"`
	Panels        []struct {
		ID      int    `json:"id"`
		Type    string `json:"type"`
		Title   string `json:"title"`
		GridPos struct {
			X, Y, W, H int
		} `json:"gridPos"`
		Targets []struct {
			RefID string `json:"refId"`
			Expr  string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
	Templating struct {
		List []struct {
			Name  string          `json:"name"`
			Type  string          `json:"type"`
			Query json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

// labelValues is Grafana's label_values(selector, label) variable query.
var labelValues = regexp.MustCompile(`^label_values\((.+),\s*\w+\)$`)

// dashboardQueries checks the dashboard's shape (valid JSON, panels with
// ids, titles, places and queries, variables that exist) and returns its
// queries: the panels' and the selectors of its label_values variables.
func dashboardQueries(t *testing.T) []promQuery {
	t.Helper()
	data, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&d); err != nil || dec.More() {
		t.Fatalf("%s: not one JSON object: %v", dashboardFile, err)
	}
	if d.Title == "" || d.UID == "" || d.SchemaVersion == 0 || len(d.Panels) == 0 {
		t.Fatalf("%s: title %q, uid %q, schemaVersion %d, %d panels: want all set", dashboardFile, d.Title, d.UID, d.SchemaVersion, len(d.Panels))
	}
	vars := map[string]bool{}
	var out []promQuery
	for _, v := range d.Templating.List {
		vars[v.Name] = true
		if v.Type != "query" {
			continue
		}
		var q struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &q); err != nil {
			if err := json.Unmarshal(v.Query, &q.Query); err != nil {
				t.Errorf("%s: variable %s: query is neither a string nor {query}: %s", dashboardFile, v.Name, v.Query)
			}
		}
		m := labelValues.FindStringSubmatch(q.Query)
		if m == nil {
			t.Errorf("%s: variable %s: want label_values(selector, label), have %q", dashboardFile, v.Name, q.Query)
			continue
		}
		out = append(out, promQuery{fmt.Sprintf("%s: variable %s", dashboardFile, v.Name), m[1]})
	}
	ids := map[int]bool{}
	for _, p := range d.Panels {
		where := fmt.Sprintf("%s: panel %d %q", dashboardFile, p.ID, p.Title)
		if p.Type == "row" {
			continue
		}
		if p.ID == 0 || ids[p.ID] || p.Title == "" || p.Type == "" {
			t.Errorf("%s: want a unique id, a title and a type (type %q)", where, p.Type)
		}
		ids[p.ID] = true
		if g := p.GridPos; g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
			t.Errorf("%s: gridPos %+v outside Grafana's 24 columns", where, g)
		}
		if len(p.Targets) == 0 {
			t.Errorf("%s: no query", where)
		}
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			if tg.Expr == "" || tg.RefID == "" || refs[tg.RefID] {
				t.Errorf("%s: target %q: want an expr and a unique refId", where, tg.RefID)
			}
			refs[tg.RefID] = true
			for _, m := range grafanaVar.FindAllStringSubmatch(tg.Expr, -1) {
				if name := m[1] + m[2] + m[3]; !vars[name] && !grafanaIntervals[name] {
					t.Errorf("%s: $%s is not a variable of the dashboard", where, name)
				}
			}
			out = append(out, promQuery{fmt.Sprintf("%s target %s", where, tg.RefID), tg.Expr})
		}
	}
	return out
}

// ruleFile is Prometheus's rule file format.
type ruleFile struct {
	Groups []struct {
		Name     string `yaml:"name"`
		Interval string `yaml:"interval"`
		Rules    []struct {
			Alert         string            `yaml:"alert"`
			Record        string            `yaml:"record"`
			Expr          string            `yaml:"expr"`
			For           string            `yaml:"for"`
			KeepFiringFor string            `yaml:"keep_firing_for"`
			Labels        map[string]string `yaml:"labels"`
			Annotations   map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// alertTemplateFuncs stand for the functions of Prometheus's alert
// templates, so that the annotations parse.
var alertTemplateFuncs = template.FuncMap{
	"humanize": fmt.Sprint, "humanize1024": fmt.Sprint, "humanizeDuration": fmt.Sprint,
	"humanizePercentage": fmt.Sprint, "humanizeTimestamp": fmt.Sprint, "title": fmt.Sprint,
	"toUpper": fmt.Sprint, "toLower": fmt.Sprint, "query": fmt.Sprint, "first": fmt.Sprint, "value": fmt.Sprint,
}

// alertTemplateHeader defines the variables Prometheus gives an alert's
// templates, as Prometheus does: by text put before them.
const alertTemplateHeader = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"

// alertQueries checks the rule file's shape (known fields only, alerting
// rules with a severity and a summary, durations and templates that
// parse) and returns its expressions.
func alertQueries(t *testing.T) []promQuery {
	t.Helper()
	data, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	var f ruleFile
	if err := yaml.UnmarshalWithOptions(data, &f, yaml.Strict()); err != nil {
		t.Fatalf("%s: %v", alertsFile, err)
	}
	if len(f.Groups) == 0 {
		t.Fatalf("%s: no rule group", alertsFile)
	}
	var out []promQuery
	seen := map[string]bool{}
	for _, g := range f.Groups {
		for i, r := range g.Rules {
			where := fmt.Sprintf("%s: group %s rule %d (%s)", alertsFile, g.Name, i, r.Alert)
			if r.Alert == "" || r.Record != "" || seen[r.Alert] || r.Expr == "" {
				t.Errorf("%s: want a unique alert name and an expr, no record", where)
			}
			seen[r.Alert] = true
			for _, d := range []string{r.For, r.KeepFiringFor, g.Interval} {
				if _, err := model.ParseDuration(cmp.Or(d, "0s")); err != nil {
					t.Errorf("%s: %v", where, err)
				}
			}
			if r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("%s: want a severity label and a summary annotation", where)
			}
			for k, a := range r.Annotations {
				if _, err := template.New(k).Funcs(alertTemplateFuncs).Parse(alertTemplateHeader + a); err != nil {
					t.Errorf("%s: annotation %s: %v", where, k, err)
				}
			}
			out = append(out, promQuery{where, r.Expr})
		}
	}
	return out
}
