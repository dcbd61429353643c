package analysis

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/poolload/poolload/record"
)

// Figure is one plot to show in the HTML report: an SVG document drawn
// from the record (plots.RenderSVG), carried inside the page.
type Figure struct {
	Title string
	SVG   []byte
}

//go:embed reporthtml.html
var htmlTemplateText string

// htmlTemplate is parsed once; html/template escapes every string the
// record holds (a scenario's description, an error message), so a record
// cannot put markup or script into the page.
var htmlTemplate = template.Must(template.New("report").Parse(htmlTemplateText))

// WriteHTML writes the report of record r, summarised as s, as one
// self-contained HTML page: the CSS and the figures (inline SVG) are in
// it and it loads nothing, so it can be attached to a post-mortem or a
// pull request and opened offline. It holds what the Markdown report
// holds, plus the per-interval table. Cells that show a number of
// summary.json carry its path in data-sum, so a test (or a script) can
// check the page against the summary.
func WriteHTML(w io.Writer, r *record.Record, s *Summary, figs []Figure) error {
	page := htmlPage{
		Title:     "poolload report: " + s.Scenario,
		Run:       s.Run,
		Status:    s.Status,
		Error:     s.Error,
		Facts:     htmlFacts(r),
		Scenario:  htmlScenario(r),
		Summary:   htmlSummaryTables(s),
		Windows:   htmlWindowsTable(s.Windows),
		Examples:  htmlExamples(s),
		Compare:   htmlComparison(s.Comparison),
		Thresh:    s.Thresholds,
		Findings:  s.Findings,
		Checked:   checkedNames(),
		Intervals: htmlIntervalTable(r),
		Generated: time.Now().UTC().Format(time.RFC3339),
	}
	if s.Comparison != nil && s.Comparison.Steady != nil {
		page.Steady = htmlSteady(s.Comparison.Steady)
	}
	for _, f := range figs {
		page.Figures = append(page.Figures, htmlFigure{Title: f.Title, SVG: inlineSVG(f.SVG)})
	}
	page.ScenarioJSON = scenarioJSON(r.Info.Scenario)
	var b bytes.Buffer
	if err := htmlTemplate.Execute(&b, page); err != nil {
		return fmt.Errorf("rendering the HTML report: %w", err)
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("writing the HTML report: %w", err)
	}
	return nil
}

// htmlPage is what the template shows.
type htmlPage struct {
	Title, Run, Status, Error string
	Facts                     [][2]string
	Scenario                  [][2]string
	ScenarioJSON              string
	Summary                   []htmlTable
	Windows                   htmlTable
	Examples                  []string
	Compare                   *htmlCompare
	Steady                    []string
	Thresh                    []Result
	Findings                  []Finding
	Checked                   string
	Figures                   []htmlFigure
	Intervals                 []htmlTable
	Generated                 string
}

// htmlTable is a table of cells; a cell with Sum shows the summary.json
// value at that path (data-sum).
type htmlTable struct {
	Caption string
	Head    []htmlCell
	Rows    [][]htmlCell
}

type htmlCell struct {
	Text  string
	Sum   string // a path in summary.json, e.g. variants/0/totals/iterations
	Title string // a tooltip: the column's meaning
	Class string
}

type htmlFigure struct {
	Title string
	SVG   template.HTML
}

func htmlFacts(r *record.Record) [][2]string {
	in := &r.Info
	facts := [][2]string{{"run", in.ID}, {"status", in.Status}, {"started", in.Started.Format(time.RFC3339)}}
	if !in.Ended.IsZero() {
		facts = append(facts, [2]string{"ended", fmt.Sprintf("%s (%s)", in.Ended.Format(time.RFC3339),
			in.Ended.Sub(in.Started).Round(time.Second))})
	}
	facts = append(facts, [2]string{"host", in.Host}, [2]string{"tool", fmt.Sprintf("%s %s (%s)", in.Tool, in.Version, in.GoVersion)})
	if len(in.Args) > 0 {
		facts = append(facts, [2]string{"command", "poolload " + strings.Join(in.Args, " ")})
	}
	for _, k := range sortedKeys(in.Target) {
		facts = append(facts, [2]string{"target " + k, in.Target[k]})
	}
	return facts
}

func htmlScenario(r *record.Record) [][2]string {
	sc := &r.Plan
	rows := [][2]string{{"driver", sc.Target.Driver}, {"load", loadText(&sc.Load)},
		{"VUs", fmt.Sprintf("%d pre-allocated, up to %d", sc.Load.PreAllocatedVUs, sc.Load.MaxVUs)},
		{"repeat", fmt.Sprint(sc.Repeat)}, {"interval", r.Info.Interval.String()}}
	if sc.Description != "" {
		rows = append([][2]string{{"description", sc.Description}}, rows...)
	}
	for _, v := range sc.Variants {
		rows = append(rows, [2]string{"variant " + v.Name, v.Describe()})
	}
	return rows
}

// scenarioJSON is the resolved scenario of run.json (secrets already
// redacted there), indented for reading.
func scenarioJSON(raw json.RawMessage) string {
	var pretty bytes.Buffer
	if json.Indent(&pretty, raw, "", "  ") != nil {
		return string(raw)
	}
	// run.json escapes <, > and & for HTML; the template escapes them
	// again, so the reader sees the characters.
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(pretty.String())
}

func htmlExamples(s *Summary) []string {
	var out []string
	for _, g := range s.Variants {
		for _, class := range sortedKeys(g.Examples) {
			out = append(out, fmt.Sprintf("%s, %s, first: %s", g.Variant, class, g.Examples[class]))
		}
	}
	return out
}

func htmlSteady(st *Steady) []string {
	return []string{
		fmt.Sprintf("Time to steady state (%s): %s; per repetition %s. %s.", st.Cold, st.SecondsText(),
			st.perRep(SteadyRep.Text), upperFirst(st.Rule())),
		fmt.Sprintf("Cold-start penalty (%s): %s; per repetition %s. The extra latency over the %s mean of %s, "+
			"summed over the iterations before steady state, and the iterations lost there.", st.Cold,
			penaltyText(st.Penalty, st.Dropped, st.Failed),
			st.perRep(func(r SteadyRep) string { return penaltyText(r.Penalty, r.Dropped, r.Failed) }), st.Warm, Ms(st.WarmMeanMs)),
	}
}

// svgProlog matches what precedes the <svg> element in a standalone SVG
// file (the XML declaration, comments), which has no place inside HTML.
var svgProlog = regexp.MustCompile(`(?s)\A.*?(<svg\b)`)

// svgSize matches the root element's fixed width and height, replaced so
// that the figure scales with the page (its viewBox keeps the shape).
var svgSize = regexp.MustCompile(`\A<svg width="[^"]*" height="[^"]*"`)

// inlineSVG makes an SVG document fit for inclusion in the page. The SVG
// comes from the plots package, which escapes the text it draws.
func inlineSVG(doc []byte) template.HTML {
	s := svgProlog.ReplaceAllString(string(doc), "$1")
	s = svgSize.ReplaceAllString(s, `<svg width="100%" role="img"`)
	return template.HTML(s) //nolint:gosec // drawn by plots, text escaped there
}
