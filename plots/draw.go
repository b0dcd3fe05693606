package plots

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/rwbench/rwbench/results"
)

// Chart geometry and type sizes.
const (
	chartWidth  = 8 * vg.Inch
	chartHeight = 5 * vg.Inch
	// PNGDPI is the resolution of PNG output: an 8×5 in chart is 1200×750 pixels.
	PNGDPI = 150

	margin     = 10 // points around the chart
	titleSize  = 14
	headerSize = 10.5
	labelSize  = 12
	tickSize   = 10.5
	legendSize = 11
	noteSize   = 15
	valueSize  = 9
)

// Write draws the charts of the given results files into dir (created if needed),
// once per format ("png", "svg"; none means "png"), and returns the paths written,
// chart by chart. It is Draw(dir, formats, Data(files...)).
func Write(dir string, formats []string, files ...*results.File) ([]string, error) {
	return Draw(dir, formats, Data(files...))
}

// Draw renders every chart of ds into dir (created if needed), one file per chart
// and format ("png", "svg"; none means "png"), named <Chart.File>.<format>, and
// returns the paths written. Files are written atomically (a temporary file renamed
// into place). It stops at the first error, returning the paths written so far.
func Draw(dir string, formats []string, ds *Dataset) ([]string, error) {
	fmts, err := normalizeFormats(formats)
	if err != nil {
		return nil, err
	}
	if ds == nil || len(ds.Charts) == 0 {
		return nil, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var paths []string
	for i := range ds.Charts {
		ch := &ds.Charts[i]
		for _, f := range fmts {
			path := filepath.Join(dir, ch.File+"."+f)
			if err := writeChart(path, ch, f); err != nil {
				return paths, fmt.Errorf("plots: %s: %w", path, err)
			}
			paths = append(paths, path)
		}
	}
	return paths, nil
}

func normalizeFormats(formats []string) ([]string, error) {
	if len(formats) == 0 {
		return []string{"png"}, nil
	}
	var out []string
	for _, f := range formats {
		f = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(f), "."))
		switch f {
		case "png", "svg":
		default:
			return nil, fmt.Errorf("plots: unsupported format %q (want png or svg)", f)
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out, nil
}

func writeChart(path string, ch *Chart, format string) (err error) {
	w, err := Render(ch, format)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = w.WriteTo(tmp); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Render draws one chart in the given format ("png" or "svg") and returns the
// encoder of the image.
func Render(ch *Chart, format string) (_ io.WriterTo, err error) {
	var cw vg.CanvasWriterTo
	switch format {
	case "png":
		cw = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(chartWidth, chartHeight), vgimg.UseDPI(PNGDPI))}
	case "svg":
		cw = vgsvg.New(chartWidth, chartHeight)
	default:
		return nil, fmt.Errorf("unsupported format %q", format)
	}
	// gonum/plot panics on some impossible inputs (a log axis over non-positive
	// values); Data never produces them, but a hand-made Dataset might.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("drawing chart %q: %v", ch.File, r)
		}
	}()
	if err := drawChart(draw.New(cw), ch); err != nil {
		return nil, err
	}
	if format == "svg" {
		return svgFallbackFonts{cw}, nil
	}
	return cw, nil
}

// svgFallbackFonts names fallbacks after Liberation Sans in an SVG document: the
// fonts are not embedded (that would add hundreds of kB per file), and Arial and
// Helvetica have the same metrics, so text still fits where it was laid out.
type svgFallbackFonts struct{ w io.WriterTo }

func (s svgFallbackFonts) WriteTo(w io.Writer) (int64, error) {
	var buf bytes.Buffer
	if _, err := s.w.WriteTo(&buf); err != nil {
		return 0, err
	}
	out := bytes.ReplaceAll(buf.Bytes(), []byte("font-family:Liberation Sans;"),
		[]byte("font-family:'Liberation Sans',Arial,Helvetica,sans-serif;"))
	n, err := w.Write(out)
	return int64(n), err
}

// drawChart lays out the title block on top, the legend in a column on the right
// and the plot in the rest.
func drawChart(c draw.Canvas, ch *Chart) error {
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
	c = draw.Crop(c, margin, -margin, margin, -margin)

	// Title and machine header.
	top := c.Max.Y
	ts := textStyle(titleSize, true, color.Black, draw.XCenter, draw.YTop)
	c.FillText(ts, vg.Point{X: c.Center().X, Y: top}, ch.Title)
	top -= ts.Height(ch.Title) + 3
	hs := textStyle(headerSize, false, color.Gray{Y: 0x50}, draw.XCenter, draw.YTop)
	c.FillText(hs, vg.Point{X: c.Center().X, Y: top}, ch.Machine)
	top -= hs.Height(ch.Machine) + 8
	body := c
	body.Max.Y = top

	if ch.Bars != nil && ch.Bars.Panels && len(ch.Bars.Groups) > 1 {
		return drawPanels(body, ch)
	}
	p := newPlot(ch.XLabel, ch.YLabel)
	leg := newLegend()

	var err error
	switch {
	case ch.Bars != nil:
		err = addBars(p, &leg, ch.Bars)
	case ch.Lines != nil:
		err = addLines(p, &leg, ch.Lines)
	default:
		err = errors.New("chart has neither bars nor lines")
	}
	if err != nil {
		return err
	}
	if ch.Note != "" {
		p.Add(noteText{text: ch.Note, style: textStyle(noteSize, false, color.Gray{Y: 0x60}, draw.XCenter, draw.YCenter)})
	}

	legendWidth := leg.Rectangle(body).Size().X + 14
	plotArea := draw.Crop(body, 0, -legendWidth, 0, 0)
	p.Draw(plotArea)
	legArea := body
	legArea.Min.X = body.Max.X - legendWidth + 10
	leg.Draw(legArea)
	return nil
}

// newPlot is a plot with rwbench's fonts and the given axis labels.
func newPlot(xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.BackgroundColor = nil
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font = sansFont(labelSize, false)
		ax.Tick.Label.Font = sansFont(tickSize, false)
		ax.Label.Padding = 4
	}
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	return p
}

// newLegend is a legend with rwbench's font, for the column right of the data.
func newLegend() plot.Legend {
	leg := plot.NewLegend()
	leg.TextStyle.Font = sansFont(legendSize, false)
	leg.Top, leg.Left = true, true
	leg.Padding = 4
	leg.ThumbnailWidth = 22
	return leg
}

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

// noteText writes a note across the middle of the data area.
type noteText struct {
	text  string
	style text.Style
}

func (n noteText) Plot(c draw.Canvas, _ *plot.Plot) {
	c.FillText(n.style, c.Center(), n.text)
}

// swatch is a legend thumbnail: a filled box.
type swatch struct{ fill color.Color }

func (s swatch) Thumbnail(c *draw.Canvas) {
	h := c.Max.Y - c.Min.Y
	inset := h * 0.1
	r := vg.Rectangle{Min: vg.Point{X: c.Min.X, Y: c.Min.Y + inset}, Max: vg.Point{X: c.Max.X, Y: c.Max.Y - inset}}
	c.SetColor(s.fill)
	c.Fill(r.Path())
}

// paletteColor is the color of palette index i: the Okabe–Ito colorblind-safe
// palette without its yellow, then a brown, black and purple, then three of
// Paul Tol's muted colors for the real filesystems (xfs, ext4, btrfs), so no two
// of the 13 known strategies and targets share a color.
func paletteColor(i int) color.Color {
	switch i % knownStrategies {
	case 0:
		return color.RGBA{0x00, 0x72, 0xB2, 0xFF} // blue
	case 1:
		return color.RGBA{0xD5, 0x5E, 0x00, 0xFF} // vermillion
	case 2:
		return color.RGBA{0x00, 0x9E, 0x73, 0xFF} // bluish green
	case 3:
		return color.RGBA{0xCC, 0x79, 0xA7, 0xFF} // reddish purple
	case 4:
		return color.RGBA{0xE6, 0x9F, 0x00, 0xFF} // orange
	case 5:
		return color.RGBA{0x56, 0xB4, 0xE9, 0xFF} // sky blue
	case 6:
		return color.RGBA{0x44, 0x44, 0x44, 0xFF} // dark gray
	case 7:
		return color.RGBA{0x8C, 0x56, 0x4B, 0xFF} // brown
	case 8:
		return color.RGBA{0x00, 0x00, 0x00, 0xFF} // black
	case 9:
		return color.RGBA{0x6A, 0x3D, 0x9A, 0xFF} // purple
	case 10:
		return color.RGBA{0x88, 0x22, 0x55, 0xFF} // wine
	case 11:
		return color.RGBA{0x11, 0x77, 0x33, 0xFF} // green
	default:
		return color.RGBA{0x99, 0x99, 0x33, 0xFF} // olive
	}
}

// pale mixes c with 65% white.
func pale(c color.Color) color.Color {
	r, g, b, _ := c.RGBA()
	mix := func(v uint32) uint8 { return uint8((float64(v>>8)*0.35 + 255*0.65) + 0.5) }
	return color.RGBA{mix(r), mix(g), mix(b), 0xFF}
}

// darker scales c by 0.7.
func darker(c color.Color) color.Color {
	r, g, b, _ := c.RGBA()
	f := func(v uint32) uint8 { return uint8(float64(v>>8) * 0.7) }
	return color.RGBA{f(r), f(g), f(b), 0xFF}
}

func glyphShape(i int) draw.GlyphDrawer {
	switch i % 6 {
	case 0:
		return draw.CircleGlyph{}
	case 1:
		return draw.BoxGlyph{}
	case 2:
		return draw.PyramidGlyph{}
	case 3:
		return draw.RingGlyph{}
	case 4:
		return draw.SquareGlyph{}
	default:
		return draw.TriangleGlyph{}
	}
}

func dashes(i int) []vg.Length {
	switch i % 4 {
	case 0:
		return nil
	case 1:
		return []vg.Length{6, 3}
	case 2:
		return []vg.Length{2, 2}
	default:
		return []vg.Length{6, 2, 2, 2}
	}
}

func sansFont(size vg.Length, bold bool) font.Font {
	f := font.Font{Typeface: "Liberation", Variant: "Sans"}
	if bold {
		f.Weight = xfont.WeightBold
	}
	return font.From(f, size)
}

func textStyle(size vg.Length, bold bool, c color.Color, xa text.XAlignment, ya text.YAlignment) text.Style {
	return text.Style{
		Color:   c,
		Font:    sansFont(size, bold),
		XAlign:  xa,
		YAlign:  ya,
		Handler: plot.DefaultTextHandler,
	}
}
