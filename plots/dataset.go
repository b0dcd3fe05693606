package plots

// Dataset is everything the charts of some results files show, computed by Data and
// drawn by Draw. It is plain data and marshals to JSON.
type Dataset struct {
	Charts []Chart `json:"charts"`
}

// Kind names a chart type.
type Kind string

// The chart kinds, in the order Data emits them for a file.
const (
	KindThroughput Kind = "throughput"
	KindSweep      Kind = "sweep"
	KindLatency    Kind = "latency"
	KindTimeline   Kind = "timeline"
	KindLocks      Kind = "locks"
	KindFindings   Kind = "findings"
)

// Chart is one chart: one output file per format. Exactly one of Bars and Lines is set.
type Chart struct {
	// File is the output file name without directory and extension; unique within a Dataset.
	File string `json:"file"`
	Kind Kind   `json:"kind"`
	// Config is the results file's config name (results.File.Name).
	Config string `json:"config"`
	// Title is the first title line; it starts with the config name.
	Title string `json:"title"`
	// Machine is the second title line: CPU brand, logical cores, kernel, and a
	// mention of a partial or failed run.
	Machine string `json:"machine"`
	// Op is the op the chart is about, if it is about one.
	Op string `json:"op,omitempty"`
	// Params are the panel's (sweep point's) parameters; nil without a sweep.
	Params map[string]string `json:"params,omitempty"`
	// Swept is, for a sweep chart, the swept key on the X axis.
	Swept  string `json:"swept,omitempty"`
	XLabel string `json:"x_label"`
	YLabel string `json:"y_label"`
	// Note is written across the data area (for example "no findings …").
	Note  string `json:"note,omitempty"`
	Bars  *Bars  `json:"bars,omitempty"`
	Lines *Lines `json:"lines,omitempty"`
}

// Bars is a grouped bar chart: one group per category, one bar per series in each.
type Bars struct {
	// Horizontal draws the categories down the Y axis (the first at the top) and
	// the values along X.
	Horizontal bool        `json:"horizontal,omitempty"`
	Groups     []string    `json:"groups"`
	Series     []BarSeries `json:"series"`
	// LowerLabel and UpperLabel name the two stacked parts of the bars for the legend
	// (Bar.Lower solid, the rest pale); empty for plain bars.
	LowerLabel string `json:"lower_label,omitempty"`
	UpperLabel string `json:"upper_label,omitempty"`
	// Integer says the values are counts: whole-number ticks.
	Integer bool `json:"integer,omitempty"`
	// ValueLabels writes each bar's value past its end (or its error bar's).
	ValueLabels bool `json:"value_labels,omitempty"`
	// Unit is the unit of the values: "ns" labels them as durations; empty,
	// as plain numbers with k, M, G.
	Unit string `json:"unit,omitempty"`
	// Panels draws each group in a panel of its own, with its own value axis
	// from zero, so that groups of very different sizes (15k reads/s next to
	// 20 punches/s) all show.
	Panels bool `json:"panels,omitempty"`
}

// BarSeries is one strategy's bars, one per group.
type BarSeries struct {
	Name string `json:"name"`
	// Style is the palette index: a strategy has the same color in every chart.
	Style int   `json:"style"`
	Bars  []Bar `json:"bars"`
}

// Bar is one bar. N is the number of samples (runs) behind it; a bar with N = 0 has
// no data and is not drawn.
type Bar struct {
	Value float64 `json:"value"`
	// Lower is, in a stacked chart, the part of Value drawn solid (the rest is pale).
	Lower float64 `json:"lower,omitempty"`
	// Lo and Hi bound the confidence interval when ErrorBar is set.
	Lo       float64 `json:"lo,omitempty"`
	Hi       float64 `json:"hi,omitempty"`
	ErrorBar bool    `json:"error_bar,omitempty"`
	N        int     `json:"n"`
	// Stat says what Value is: StatMedian or StatSum.
	Stat string `json:"stat,omitempty"`
	// Whisker says what [Lo, Hi] is: WhiskerCI or WhiskerRange.
	Whisker string `json:"whisker,omitempty"`
}

// Lines is a line chart.
type Lines struct {
	XLog bool `json:"x_log,omitempty"`
	YLog bool `json:"y_log,omitempty"`
	// XFromZero and YFromZero start a linear axis at zero.
	XFromZero bool `json:"x_from_zero,omitempty"`
	YFromZero bool `json:"y_from_zero,omitempty"`
	// XTicks are the X axis's labelled ticks; automatic ticks when empty.
	XTicks []Tick `json:"x_ticks,omitempty"`
	// YUnit is the unit of the Y values: "ns" labels them as durations (850ns,
	// 12µs, 1.5ms, 2s); empty, as plain numbers with k, M, G.
	YUnit string `json:"y_unit,omitempty"`
	// Glyphs marks every point.
	Glyphs bool         `json:"glyphs,omitempty"`
	Series []LineSeries `json:"series"`
}

// Tick is a labelled axis tick.
type Tick struct {
	Value float64 `json:"value"`
	Label string  `json:"label"`
}

// LineSeries is one line.
type LineSeries struct {
	Name string `json:"name"`
	// Style is the palette index (color and glyph); Dash the dash pattern index,
	// which tells apart lines of one strategy.
	Style  int     `json:"style"`
	Dash   int     `json:"dash,omitempty"`
	Points []Point `json:"points"`
}

// Point is a point of a line, with an optional vertical error bar [Lo, Hi].
type Point struct {
	X        float64 `json:"x"`
	Y        float64 `json:"y"`
	Lo       float64 `json:"lo,omitempty"`
	Hi       float64 `json:"hi,omitempty"`
	ErrorBar bool    `json:"error_bar,omitempty"`
	N        int     `json:"n,omitempty"`
}
