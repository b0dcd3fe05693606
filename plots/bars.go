package plots

import (
	"errors"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// addBars adds a grouped bar chart to p, with categorical ticks on one axis and
// values from zero on the other.
func addBars(p *plot.Plot, leg *plot.Legend, b *Bars) error {
	groups := len(b.Groups)
	if groups == 0 {
		return errors.New("bar chart without groups")
	}
	cat, val := &p.X, &p.Y
	if b.Horizontal {
		cat, val = &p.Y, &p.X
	}
	grid := plotter.NewGrid()
	grid.Horizontal.Color = color.Gray{Y: 0xD8}
	grid.Vertical.Color = color.Gray{Y: 0xD8}
	if b.Horizontal {
		grid.Horizontal.Color = nil
	} else {
		grid.Vertical.Color = nil
	}
	p.Add(grid)

	bp := &barsPlotter{b: b}
	p.Add(bp)

	var ticks []plot.Tick
	for i, g := range b.Groups {
		ticks = append(ticks, plot.Tick{Value: bp.categoryPos(i), Label: g})
	}
	cat.Tick.Marker = plot.ConstantTicks(ticks)
	cat.Min, cat.Max = -0.5, float64(groups)-0.5
	cat.Padding = 0
	cat.Tick.Length = 0

	hi := 0.0
	for _, s := range b.Series {
		for _, bar := range s.Bars {
			if bar.N == 0 {
				continue
			}
			hi = math.Max(hi, bar.Value)
			if bar.ErrorBar {
				hi = math.Max(hi, bar.Hi)
			}
		}
	}
	if hi <= 0 || !isFinite(hi) {
		hi = 1
	}
	headroom := 1.06
	if b.ValueLabels {
		headroom = 1.2 // room for the labels, upright or turned
	}
	val.Min, val.Max = 0, niceCeil(hi*headroom)
	if b.Integer {
		val.Max = math.Max(val.Max, 5)
	}
	val.Padding = 0
	val.Tick.Marker = linearTicks{integer: b.Integer, unit: b.Unit}

	for _, s := range b.Series {
		leg.Add(s.Name, swatch{fill: paletteColor(s.Style)})
	}
	if b.LowerLabel != "" || b.UpperLabel != "" {
		leg.Add(b.LowerLabel+" (solid)", swatch{fill: color.Gray{Y: 0x70}})
		leg.Add(b.UpperLabel+" (pale)", swatch{fill: pale(color.Gray{Y: 0x70})})
	}
	return nil
}

// barsPlotter draws grouped (and optionally stacked) bars with error bars, in data
// coordinates so that bars and whiskers line up at any size.
type barsPlotter struct {
	b *Bars
}

// groupWidth is the share of a category's slot that its bars fill.
const groupWidth = 0.8

func (bp *barsPlotter) categoryPos(i int) float64 {
	if bp.b.Horizontal {
		return float64(len(bp.b.Groups) - 1 - i) // the first group on top
	}
	return float64(i)
}

func (bp *barsPlotter) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	b := bp.b
	trCat, trVal := trX, trY
	valAxis := p.Y
	if b.Horizontal {
		trCat, trVal = trY, trX
		valAxis = p.X
	}
	pt := func(cat, v vg.Length) vg.Point {
		if b.Horizontal {
			return vg.Point{X: v, Y: cat}
		}
		return vg.Point{X: cat, Y: v}
	}
	clampVal := func(v float64) float64 { return math.Max(valAxis.Min, math.Min(valAxis.Max, v)) }
	rect := func(c0, c1, v0, v1 vg.Length, fill color.Color) {
		c.FillPolygon(fill, []vg.Point{pt(c0, v0), pt(c0, v1), pt(c1, v1), pt(c1, v0)})
	}
	k := len(b.Series)
	slot := groupWidth / float64(max(k, 1))
	vs := textStyle(valueSize, false, color.Gray{Y: 0x30}, draw.XCenter, draw.YBottom)
	if b.Horizontal {
		vs.XAlign, vs.YAlign = draw.XLeft, draw.YCenter
	} else if b.ValueLabels {
		// A label wider than its bar's slot would run into its neighbour's:
		// then every label is turned upright, one text line (narrower than
		// any slot this chart draws) wide.
		slotW := trCat(slot) - trCat(0)
		widest := vg.Length(0)
		for _, s := range b.Series {
			for _, bar := range s.Bars {
				if bar.N > 0 {
					widest = max(widest, vs.Width(formatUnit(bar.Value, b.Unit)))
				}
			}
		}
		if widest > slotW*0.9 {
			vs.Rotation = math.Pi / 2
			vs.XAlign, vs.YAlign = draw.XLeft, draw.YCenter
		}
	}
	for si, s := range b.Series {
		col := paletteColor(s.Style)
		for gi, bar := range s.Bars {
			if gi >= len(b.Groups) || bar.N == 0 || !isFinite(bar.Value) {
				continue
			}
			center := bp.categoryPos(gi) - groupWidth/2 + (float64(si)+0.5)*slot
			c0, c1 := trCat(center-slot*0.44), trCat(center+slot*0.44)
			if c1 < c0 {
				c0, c1 = c1, c0
			}
			base := trVal(clampVal(0))
			lower := bar.Value
			if b.LowerLabel != "" || b.UpperLabel != "" {
				lower = math.Max(0, math.Min(bar.Lower, bar.Value))
			}
			vLower, vTop := trVal(clampVal(lower)), trVal(clampVal(bar.Value))
			if vLower != base {
				rect(c0, c1, base, vLower, col)
			}
			if vTop != vLower {
				rect(c0, c1, vLower, vTop, pale(col))
			}
			if vTop != base {
				c.StrokeLines(draw.LineStyle{Color: darker(col), Width: 0.6},
					[]vg.Point{pt(c0, base), pt(c0, vTop), pt(c1, vTop), pt(c1, base)})
			}
			if bar.ErrorBar && isFinite(bar.Lo) && isFinite(bar.Hi) {
				mid := trCat(center)
				lo, hi := trVal(clampVal(bar.Lo)), trVal(clampVal(bar.Hi))
				capW := min(max((c1-c0)*0.25, 2), 6)
				ls := draw.LineStyle{Color: color.Black, Width: 1.2}
				a, z := pt(mid, lo), pt(mid, hi)
				c.StrokeLine2(ls, a.X, a.Y, z.X, z.Y)
				for _, v := range []vg.Length{lo, hi} {
					if (v == lo && bar.Lo < valAxis.Min) || (v == hi && bar.Hi > valAxis.Max) {
						continue // clipped: no cap
					}
					a, z := pt(mid-capW, v), pt(mid+capW, v)
					c.StrokeLine2(ls, a.X, a.Y, z.X, z.Y)
				}
			}
			if b.ValueLabels {
				end := vTop
				if bar.ErrorBar && isFinite(bar.Hi) && bar.Hi > bar.Value {
					end = trVal(clampVal(bar.Hi))
				}
				c.FillText(vs, pt(trCat(center), end+3), formatUnit(bar.Value, b.Unit))
			}
		}
	}
}
