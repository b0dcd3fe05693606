package plots

import (
	"errors"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg/draw"
)

// addLines adds line series (with glyphs and error bars) to p.
func addLines(p *plot.Plot, leg *plot.Legend, l *Lines) error {
	grid := plotter.NewGrid()
	grid.Horizontal.Color = color.Gray{Y: 0xD8}
	grid.Vertical.Color = color.Gray{Y: 0xD8}
	p.Add(grid)

	xmin, xmax := math.Inf(1), math.Inf(-1)
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for _, s := range l.Series {
		for _, pt := range s.Points {
			if !isFinite(pt.X) || !isFinite(pt.Y) || (l.XLog && pt.X <= 0) || (l.YLog && pt.Y <= 0) {
				continue
			}
			xmin, xmax = math.Min(xmin, pt.X), math.Max(xmax, pt.X)
			ymin, ymax = math.Min(ymin, pt.Y), math.Max(ymax, pt.Y)
			if pt.ErrorBar {
				if !l.YLog || pt.Lo > 0 {
					ymin = math.Min(ymin, pt.Lo)
				}
				ymax = math.Max(ymax, pt.Hi)
			}
		}
	}
	if math.IsInf(xmin, 0) {
		return errors.New("line chart without points")
	}
	for _, t := range l.XTicks {
		if !l.XLog || t.Value > 0 {
			xmin, xmax = math.Min(xmin, t.Value), math.Max(xmax, t.Value)
		}
	}

	// X axis.
	switch {
	case l.XLog:
		p.X.Scale = plot.LogScale{}
		if xmin == xmax {
			xmin, xmax = xmin/2, xmax*2
		}
		p.X.Min, p.X.Max = xmin, xmax
	default:
		pad := (xmax - xmin) * 0.03
		if xmin == xmax {
			pad = 0.5
		}
		if len(l.XTicks) > 0 && !l.YLog {
			pad = math.Max(pad, (xmax-xmin)*0.05)
		}
		p.X.Min, p.X.Max = xmin-pad, xmax+pad
		if l.XFromZero && xmin >= 0 {
			p.X.Min = 0
		}
	}
	if len(l.XTicks) > 0 {
		p.X.Tick.Marker = fixedTicks{ticks: l.XTicks, log: l.XLog}
	} else {
		p.X.Tick.Marker = linearTicks{}
	}

	// Y axis.
	switch {
	case l.YLog:
		p.Y.Scale = plot.LogScale{}
		lo := math.Pow(10, math.Floor(math.Log10(ymin)))
		hi := math.Pow(10, math.Ceil(math.Log10(ymax)))
		if hi <= lo {
			hi = lo * 10
		}
		p.Y.Min, p.Y.Max = lo, hi
		p.Y.Tick.Marker = logTicks{unit: l.YUnit}
	default:
		if l.YFromZero {
			ymin = math.Min(0, ymin)
		}
		if ymax <= ymin {
			ymax = ymin + 1
		}
		p.Y.Min, p.Y.Max = ymin, niceCeil(ymax*1.05)
		if l.YFromZero && ymin >= 0 {
			p.Y.Padding = 0
		}
		p.Y.Tick.Marker = linearTicks{unit: l.YUnit}
	}

	for _, s := range l.Series {
		col := paletteColor(s.Style)
		var xys plotter.XYs
		var errs errorBars
		for _, pt := range s.Points {
			if !isFinite(pt.X) || !isFinite(pt.Y) || (l.XLog && pt.X <= 0) || (l.YLog && pt.Y <= 0) {
				continue
			}
			xys = append(xys, plotter.XY{X: pt.X, Y: pt.Y})
			if pt.ErrorBar && isFinite(pt.Lo) && isFinite(pt.Hi) {
				errs.pts = append(errs.pts, pt)
			}
		}
		if len(xys) == 0 {
			continue
		}
		line, err := plotter.NewLine(xys)
		if err != nil {
			return err
		}
		line.Color = col
		line.Width = 1.8
		line.Dashes = dashes(s.Dash)
		thumbs := []plot.Thumbnailer{line}
		p.Add(line)
		if len(errs.pts) > 0 {
			errs.color = col
			p.Add(errs)
		}
		if l.Glyphs || len(xys) == 1 {
			sc, err := plotter.NewScatter(xys)
			if err != nil {
				return err
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: col, Radius: 3.5, Shape: glyphShape(s.Style)}
			p.Add(sc)
			thumbs = append(thumbs, sc)
		}
		leg.Add(s.Name, thumbs...)
	}
	return nil
}

// errorBars draws vertical error bars [Lo, Hi] at the points, clipped to the axis.
type errorBars struct {
	pts   []Point
	color color.Color
}

func (e errorBars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	ls := draw.LineStyle{Color: e.color, Width: 1.2}
	clamp := func(v float64) float64 { return math.Max(p.Y.Min, math.Min(p.Y.Max, v)) }
	for _, pt := range e.pts {
		lo, hi := pt.Lo, pt.Hi
		if _, isLog := p.Y.Scale.(plot.LogScale); isLog && lo <= 0 {
			lo = p.Y.Min
		}
		x := trX(pt.X)
		y0, y1 := trY(clamp(lo)), trY(clamp(hi))
		c.StrokeLine2(ls, x, y0, x, y1)
		const capW = 4
		if lo >= p.Y.Min {
			c.StrokeLine2(ls, x-capW, y0, x+capW, y0)
		}
		if hi <= p.Y.Max {
			c.StrokeLine2(ls, x-capW, y1, x+capW, y1)
		}
	}
}
