package plots

import (
	"image/color"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/poolload/poolload/record"
)

// A run over an emulated network link says so under every figure's title,
// so that a plot pasted alone into a post-mortem still carries the
// conditions it was measured under: 0.75 ms more per round trip changes
// what "slow" means.

// subtitleSize is the subtitle's text size in points, below the title's.
const subtitleSize = 11.5

// subtitleLineHeight is the height each subtitle line adds to a figure.
const subtitleLineHeight = 0.24 * vg.Inch

// headWidth is the widest a title or subtitle line may be, inside the
// figure's margins: longer conditions (several refused windows) wrap, a
// longer title shrinks.
const headWidth = figWidth - 0.8*vg.Inch

// subtitleColor sets the conditions apart from the title without fading
// them out of a printed page.
var subtitleColor = color.RGBA{60, 60, 60, 255}

// factOrder is the order conditions are named in: the preset, then what
// every packet sees, then the faults. Keys not listed follow, sorted.
var factOrder = []string{
	"preset", "latency", "jitter", "bandwidth",
	"up.latency", "up.jitter", "up.bandwidth", "down.latency", "down.jitter", "down.bandwidth",
	"reset_idle_after", "idle_action", "reset_after_bytes", "refuse_new",
}

// networkFacts are the link's conditions (RunInfo.Link) as "name=value"
// in factOrder, or nil without a link. An up.X or down.X equal to X only
// repeats it (resolved conditions always spell out both directions).
func networkFacts(info *record.RunInfo) []string {
	m := info.Link()
	for name, v := range m {
		for _, dir := range []string{"up.", "down."} {
			if base, ok := strings.CutPrefix(name, dir); ok && m[base] == v {
				delete(m, name)
			}
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareFacts)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k + "=" + m[k]
	}
	return out
}

// compareFacts orders fact names by factOrder, unknown ones last by name.
func compareFacts(a, b string) int {
	rank := func(k string) int {
		if i := slices.Index(factOrder, k); i >= 0 {
			return i
		}
		return len(factOrder)
	}
	if ra, rb := rank(a), rank(b); ra != rb {
		return ra - rb
	}
	return strings.Compare(a, b)
}

// subtitleStyle is the style of the subtitle lines.
func subtitleStyle() text.Style {
	return sansStyle(subtitleSize, text.Style{Color: subtitleColor, XAlign: draw.XCenter, YAlign: draw.YTop,
		Handler: plot.DefaultTextHandler})
}

// subtitleLines is the subtitle for the conditions in facts, wrapped to fit
// the figure's width between facts, or nil when there are none.
func subtitleLines(facts []string) []string {
	if len(facts) == 0 {
		return nil
	}
	ts := subtitleStyle()
	lines := []string{"over an emulated link: " + facts[0]}
	for _, f := range facts[1:] {
		last := &lines[len(lines)-1]
		if ts.Width(*last+", "+f+",") <= headWidth {
			*last += ", " + f
			continue
		}
		*last += ","
		lines = append(lines, f)
	}
	return lines
}
