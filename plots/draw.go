package plots

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
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
