package plots

import (
	"image/color"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

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
	colors := [knownStrategies]color.RGBA{
		{0x00, 0x72, 0xB2, 0xFF}, // blue
		{0xD5, 0x5E, 0x00, 0xFF}, // vermillion
		{0x00, 0x9E, 0x73, 0xFF}, // bluish green
		{0xCC, 0x79, 0xA7, 0xFF}, // reddish purple
		{0xE6, 0x9F, 0x00, 0xFF}, // orange
		{0x56, 0xB4, 0xE9, 0xFF}, // sky blue
		{0x44, 0x44, 0x44, 0xFF}, // dark gray
		{0x8C, 0x56, 0x4B, 0xFF}, // brown
		{0x00, 0x00, 0x00, 0xFF}, // black
		{0x6A, 0x3D, 0x9A, 0xFF}, // purple
		{0x88, 0x22, 0x55, 0xFF}, // wine
		{0x11, 0x77, 0x33, 0xFF}, // green
		{0x99, 0x99, 0x33, 0xFF}, // olive
	}
	return colors[i%knownStrategies]
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
