package plots

import (
	"image/color"
	"strings"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// panelColumns is the most panels side by side; more groups wrap to new rows.
const panelColumns = 4

// drawPanels draws a Bars chart with Panels set into body: each group in a
// panel of its own, with its own value axis from zero (so that 20 punches/s
// show next to 400k reads/s), the legend once on the right and the chart's
// XLabel, which says what bars and whiskers are, as a caption under all.
func drawPanels(body draw.Canvas, ch *Chart) error {
	b := ch.Bars
	leg := newLegend()
	for _, s := range b.Series {
		leg.Add(s.Name, swatch{fill: paletteColor(s.Style)})
	}
	// The caption across the whole width, on as many lines as it needs
	// (split at its "; "), so that it is never cut.
	cs := textStyle(tickSize, false, color.Gray{Y: 0x30}, draw.XCenter, draw.YBottom)
	lines := []string{ch.XLabel}
	if cs.Width(ch.XLabel) > body.Size().X {
		lines = strings.Split(ch.XLabel, "; ")
	}
	for i := len(lines) - 1; i >= 0; i-- {
		body.FillText(cs, vg.Point{X: body.Center().X, Y: body.Min.Y}, lines[i])
		body.Min.Y += cs.Height(lines[i]) + 2
	}
	body.Min.Y += 4

	legendWidth := leg.Rectangle(body).Size().X + 14
	area := draw.Crop(body, 0, -legendWidth, 0, 0)
	legArea := body
	legArea.Min.X = body.Max.X - legendWidth + 10
	leg.Draw(legArea)

	n := len(b.Groups)
	cols := min(n, panelColumns)
	rows := (n + cols - 1) / cols
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: 6, PadY: 10}
	for gi, g := range b.Groups {
		sub := &Bars{Groups: []string{g}, Integer: b.Integer, ValueLabels: b.ValueLabels, Unit: b.Unit,
			LowerLabel: b.LowerLabel, UpperLabel: b.UpperLabel}
		for _, s := range b.Series {
			sub.Series = append(sub.Series, BarSeries{Name: s.Name, Style: s.Style, Bars: []Bar{s.Bars[gi]}})
		}
		yLabel := ""
		if gi%cols == 0 {
			yLabel = ch.YLabel
		}
		p := newPlot("", yLabel)
		var discard = newLegend() // one legend for all panels, drawn above
		if err := addBars(p, &discard, sub); err != nil {
			return err
		}
		p.Draw(tiles.At(area, gi%cols, gi/cols))
	}
	return nil
}
