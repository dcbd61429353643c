package plots

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/poolload/poolload/analysis/testrecord"
	"github.com/poolload/poolload/record"
)

// crossZone are the target facts of a run over the cross-zone preset, as
// the network package describes resolved conditions: both directions
// spelled out, and the proxy's address.
var crossZone = map[string]string{
	"max_open": "12", "network.proxy": "127.0.0.1:42229", "network.preset": "cross-zone",
	"network.latency": "750µs", "network.jitter": "100µs", "network.bandwidth": "5Gbit",
	"network.up.latency": "750µs", "network.up.jitter": "100µs", "network.up.bandwidth": "5Gbit",
	"network.down.latency": "750µs", "network.down.jitter": "100µs", "network.down.bandwidth": "5Gbit",
}

// linkRecord has only the link emulator's columns, so that Render draws
// the link figure alone: a warm pool whose idle connections the link
// resets (5 in second 1, 1 in second 3) and one refused connection. The
// emulator reports no drops: the column is absent.
func linkRecord(target map[string]string) *record.Record {
	var rows []record.Row
	for s, sec := range []struct{ conns, resets, refused, active float64 }{
		{0, 0, 0, 8}, {2, 5, 0, 5}, {0, 0, 0, 5}, {1, 1, 1, 5},
	} {
		rows = append(rows, testrecord.Rows("warm", s, 1, map[string]float64{
			"link_conns": sec.conns, "link_resets": sec.resets, "link_refused": sec.refused, "link_active": sec.active,
		})...)
	}
	rows = append(rows, testrecord.Rows("idle", 0, 4, map[string]float64{"link_conns": 0, "link_active": 2})...)
	return testrecord.InMemory{Target: target, Rows: rows}.Record()
}

func TestLinkFigure(t *testing.T) {
	t.Parallel()
	r := newRun(linkRecord(nil))
	f, err := linkFigure(r)
	if err != nil || f == nil {
		t.Fatalf("link figure: %v, %v", f, err)
	}
	want := []string{
		"connections through the link per interval",
		"connections reset, dropped or refused by the link per interval (in all: 6 reset, 1 refused)",
		"connections open through the link",
	}
	if got := panelTitles(f); !slices.Equal(got, want) || len(f.panels) != 3 {
		t.Errorf("%d rows of panels %q, want 3 rows of %q", len(f.panels), got, want)
	}
	if !strings.HasPrefix(f.title, "Emulated network link — ") {
		t.Errorf("title %q", f.title)
	}
}

// The faults panel adds up the kinds in each interval; a window that
// reports none of them (idle: no fault columns at all) draws no line.
func TestLinkFaultSeries(t *testing.T) {
	t.Parallel()
	r := newRun(linkRecord(nil))
	spec := panelSpec{sum: []string{"link_resets", "link_drops", "link_refused"}}
	var got []float64
	for _, p := range spec.series(r.windows[0].rows) {
		got = append(got, p.Y)
	}
	if !slices.Equal(got, []float64{0, 5, 0, 2}) {
		t.Errorf("warm faults %v, want 0 5 0 2 (second 3: 1 reset + 1 refused)", got)
	}
	if xys := spec.series(r.windows[1].rows); len(xys) != 0 {
		t.Errorf("idle faults %v, want none", xys)
	}
}

// Without link columns (any run without an emulated link) there is no
// link figure.
func TestLinkFigureOnlyWithLinkColumns(t *testing.T) {
	t.Parallel()
	for name, rec := range map[string]*record.Record{"mysql": mysqlRecord(t), "http": httpLeakRecord(crossZone)} {
		if f, err := linkFigure(newRun(rec)); f != nil || err != nil {
			t.Errorf("%s record without link columns: link figure %v, %v", name, f, err)
		}
	}
}

func TestNetworkFacts(t *testing.T) {
	tests := []struct {
		name   string
		target map[string]string
		want   []string
	}{
		{"preset, directions repeating it", crossZone,
			[]string{"preset=cross-zone", "latency=750µs", "jitter=100µs", "bandwidth=5Gbit"}},
		{"asymmetric link and idle resets", map[string]string{
			"network.latency": "1ms", "network.up.latency": "1ms", "network.down.latency": "5ms",
			"network.idle_action": "reset", "network.reset_idle_after": "1s", "network.zz_new": "x"},
			[]string{"latency=1ms", "down.latency=5ms", "reset_idle_after=1s", "idle_action=reset", "zz_new=x"}},
		{"no link", map[string]string{"max_open": "12"}, nil},
		{"only the proxy", map[string]string{"network.proxy": "127.0.0.1:1", "network.relay": "kernel"}, nil},
	}
	for _, tt := range tests {
		if got := networkFacts(&record.RunInfo{Target: tt.target}); !slices.Equal(got, tt.want) && len(got)+len(tt.want) > 0 {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestSubtitleLines(t *testing.T) {
	if got := subtitleLines(nil); got != nil {
		t.Errorf("no facts: %q", got)
	}
	want := []string{"over an emulated link: preset=cross-zone, latency=750µs, jitter=100µs, bandwidth=5Gbit"}
	if got := subtitleLines(networkFacts(&record.RunInfo{Target: crossZone})); !slices.Equal(got, want) {
		t.Errorf("cross-zone: %q, want %q", got, want)
	}
	// Conditions too long for one line wrap between facts, every one kept.
	var facts []string
	for i := range 12 {
		facts = append(facts, "refuse_new="+strings.Repeat("from 1s for 2s; ", 1+i%2)+"x")
	}
	lines := subtitleLines(facts)
	if len(lines) < 2 {
		t.Fatalf("%d facts on %d line(s): %q", len(facts), len(lines), lines)
	}
	for _, l := range lines {
		if w := subtitleStyle().Width(l); w > headWidth {
			t.Errorf("line %q is %v wide, over %v", l, w, headWidth)
		}
	}
	joined := strings.TrimPrefix(strings.Join(lines, " "), "over an emulated link: ")
	if joined != strings.Join(facts, ", ") {
		t.Errorf("wrapped text %q lost or changed facts", joined)
	}
}

// Every figure of a run over a link carries its conditions under the
// title, one subtitle line taller; without a link it keeps its old size.
func TestRenderSubtitle(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		target map[string]string
		lines  int
	}{{"link-facts", crossZone, 1}, {"link-nofacts", nil, 0}} {
		dir := outDir(t, tt.name)
		paths, err := renderForTest(linkRecord(tt.target), dir)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{filepath.Join(dir, "link.png"), filepath.Join(dir, "link.svg")}; !slices.Equal(paths, want) {
			t.Fatalf("%s: wrote %v, want %v", tt.name, paths, want)
		}
		checkSubtitle(t, dir, tt.lines)
	}
}

// checkSubtitle checks link.png's height and whether link.svg names the
// conditions.
func checkSubtitle(t *testing.T, dir string, lines int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "link.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if sz, want := img.Bounds().Size(), wantSize(3, lines); sz != want {
		t.Errorf("link.png with %d subtitle lines is %v, want %v", lines, sz, want)
	}
	svg, err := os.ReadFile(filepath.Join(dir, "link.svg"))
	if err != nil {
		t.Fatal(err)
	}
	if has := bytes.Contains(svg, []byte("over an emulated link: preset=cross-zone")); has != (lines > 0) {
		t.Errorf("link.svg names the link's conditions: %v, want %v", has, lines > 0)
	}
}
