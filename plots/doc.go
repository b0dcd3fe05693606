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
//   - throughput: a grouped bar chart, one group per op, one bar per strategy, with
//     95% confidence intervals over the runs;
//   - sweep: when cells have Params, ops/s against each swept key (numeric when
//     every value parses as a number, byte size or duration; categories otherwise),
//     one line per strategy, one chart per key and op;
//   - latency: the percentile spectrum per op, x = 1/(1-q) on a log scale labelled
//     50 … 99.99, y = latency in µs on a log scale, one line per strategy, each
//     point the median over the runs of that percentile;
//   - timeline: ops/s per interval of the first run of each cell, one chart per op;
//   - memory: the largest resident set sampled in each interval of the first run
//     of each cell, in MiB (runs that sampled it: rss_bytes);
//   - locks: horizontal bars of wait time per lock, call site and mode, per
//     strategy (the median over runs of each run's total wait);
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
// Throughput bars and sweep points use the cell's Summary when it holds a bounded
// 95% interval: the median and its distribution-free confidence interval
// (golang.org/x/perf/benchmath, computed by the runner). With the usual 3 to 5
// runs that interval is unbounded (the runner then stores the sample's range at a
// lower confidence), and the value is instead the mean of the runs' ops/s with the
// Student t interval mean ± t(0.975, n-1)·s/√n, where s is the sample standard
// deviation (n-1 in the denominator; not plotutil's population deviation). One run
// gives a bar without an error bar. Bar.Stat records which was used, and the axis
// label says so.
//
// # Output
//
// Files are named <config>-<chart>[-<op>][-<panel>].<format>, for example
// "punch-throughput.png", "punch-latency-read.svg" or
// "punch-latency-read-threads-8.png"; names are made of [A-Za-z0-9._+-] and are
// unique within a Dataset (a second file with the same config name gets "-2").
// Every chart is 8×5 in (PNG at 150 dpi), titled with the config name and, below,
// a machine header (CPU brand, logical cores, kernel); strategies keep the same
// color in every chart, with the legend to the right of the data.
package plots
