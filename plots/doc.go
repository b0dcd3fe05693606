// Package plots draws the charts of rwbench results files.
//
// The work is split in two stages so that what is plotted can be tested without
// looking at pixels:
//
//   - Data (the data stage) reads results files and computes every value that a
//     chart shows: bar heights with their confidence intervals, the points of each
//     line, axis labels, titles and the output file name. The result, a Dataset,
//     is made of plain structs with exported fields and marshals to JSON; the tests
//     compare it with golden files.
//   - Draw (the drawing stage) renders a Dataset with gonum.org/v1/plot into PNG
//     and SVG files. It computes nothing about the benchmark: it only lays out what
//     the Dataset says (two generic chart shapes, Bars and Lines).
//
// Write is Data followed by Draw.
//
// # Charts
//
// For each results file:
//
//   - throughput: a panel per op, each with its own value axis from zero (so that
//     20 punches/s show next to 400k reads/s), one bar per strategy, each the
//     median of the runs with its whisker (see Statistics) and its value written
//     above it (turned upright when it is wider than its bar);
//   - sweep: when cells have Params, ops/s against each swept key (numeric when
//     every value parses as a number, byte size or duration; categories otherwise),
//     one line per strategy, one chart per key and op;
//   - latency: the percentile spectrum per op, x = 1/(1-q) on a log scale labelled
//     50 … 99.99, y = latency on a log scale labelled in ns, µs, ms or s, one line
//     per strategy, each point the median over the runs of that percentile;
//   - timeline: ops/s per interval of the first run of each cell, one chart per op;
//     with fewer than 5 intervals the axis says the run is too short for a trend;
//   - memory: the largest resident set sampled in each interval of the first run
//     of each cell, in MiB (runs that sampled it: rss_bytes);
//   - locks: horizontal bars of wait time per lock, call site and mode, per
//     strategy: the wait per run of the report's lock table (the total over the
//     runs divided by their number, results.CellLocks);
//   - findings: stale (solid) and foreign (pale, stacked) pages returned per path,
//     plus corrupt pages, per strategy, summed over runs; drawn even when there are
//     none, with "no findings" in the title.
//
// A sweep point (one set of Params) is a panel: the charts that compare strategies
// at one configuration (throughput, latency, timeline, memory, locks, findings) are drawn
// once per panel, and the panel's parameters are added to their title and file
// name. Without a sweep there is one panel and no suffix. Charts without data are
// skipped.
//
// # Statistics
//
// The charts compute no statistic of their own: package results does, and the
// report prints the same figures. Throughput bars and sweep points are the
// cell's summary (results.SummaryOf: the median of the runs), with a whisker
// showing the same interval the tables give: the median's distribution-free 95%
// confidence interval (golang.org/x/perf/benchmath via results.EstimateOf) when
// the runs bound it (6 or more), else the range of the runs (lowest to
// highest). Latency points are the same medians as the tables' p50, p99 and
// p99.9 columns (results.RunsEstimate). Bar.Whisker records which, and the caption says
// so. One run gives a bar without a whisker. Axes are labelled in human units:
// durations as 850ns, 12µs, 1ms, 2s; counts and rates with k, M, G.
//
// # Output
//
// Files are named <config>-<chart>[-<op>][-<panel>].<format>, for example
// "punch-throughput.png", "punch-latency-read.svg" or
// "punch-latency-read-threads-8.png"; names are made of [A-Za-z0-9._+-] and are
// unique within a Dataset (a second file with the same config name gets "-2").
// Every chart is 8×5 in (PNG at 150 dpi), titled with the config name and, below,
// a machine header (CPU brand, the CPUs the process could use, kernel); strategies keep the same
// color in every chart, with the legend to the right of the data.
package plots
