package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/rwbench/rwbench/report"
	"github.com/rwbench/rwbench/runner"
)

// TestProgressLine: the line names the run, phase and cell, and its ETA
// counts the runs left at their measured length; log writes clear it first.
func TestProgressLine(t *testing.T) {
	var out bytes.Buffer
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	p := &progressLine{w: &out, width: func() int { return 0 }, now: func() time.Time { return now }, start: now, stop: make(chan struct{})}
	info := runner.RunInfo{Index: 1, Total: 4, Strategy: "invalidate", Params: map[string]string{"threads": "2"},
		Rep: 1, Reps: 2, Warmup: time.Second, Duration: 2 * time.Second}
	p.Run(info)
	p.Phase(runner.PhasePrefill)
	if got := p.line(now); !strings.Contains(got, "run 1/4  prefill  invalidate threads=2  rep 1/2  0:00 elapsed, ETA 0:12") {
		t.Errorf("first run: %q (ETA: 4 runs of warm-up and window, 3 s each)", got)
	}
	// The first run took 5 s: the three left are estimated at 5 s each.
	now = now.Add(5 * time.Second)
	info.Index = 2
	p.Run(info)
	p.Phase(runner.PhaseMeasure)
	if got := p.line(now); !strings.Contains(got, "run 2/4  measure") || !strings.Contains(got, "0:05 elapsed, ETA 0:15") {
		t.Errorf("second run: %q", got)
	}
	out.Reset()
	p.Write([]byte("rwbench: a warning\n"))
	if got := out.String(); got != "\r\033[Krwbench: a warning\n" {
		t.Errorf("log write %q: want the line cleared first", got)
	}
	p.width = func() int { return 20 }
	p.draw()
	if got := out.String(); !strings.HasSuffix(got, "\r\033[Krun 2/4  measure  i") {
		t.Errorf("cut to the width: %q", got)
	}
	p.Close()
}

func TestClockTime(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0:00", 65 * time.Second: "1:05", 2*time.Hour + 3*time.Second: "2:00:03"} {
		if got := clockTime(d); got != want {
			t.Errorf("clockTime(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestFailOn(t *testing.T) {
	if _, err := parseFailOn("findings,nope"); err == nil || !strings.Contains(err.Error(), `unknown problem "nope"`) {
		t.Errorf("bad -fail-on: %v", err)
	}
	all, err := parseFailOn("findings, fsck,validator,stalled,fsck")
	if err != nil || len(all) != 4 {
		t.Fatalf("parseFailOn = %q, %v", all, err)
	}
	if got, _ := parseFailOn("none"); len(got) != 0 {
		t.Errorf("none: %q", got)
	}
	a := &report.Answer{Fsck: []string{"none (1 of 2 runs)"}, Stalled: []string{"irwsem punch: 0 ops in 2 of 2 runs"}}
	def, _ := parseFailOn(defaultFailOn)
	err = gate(a, def)
	if code := exitCode(err, &bytes.Buffer{}); code != exitFail || !strings.Contains(err.Error(), "fsck: none (1 of 2 runs)") || strings.Contains(err.Error(), "stalled") {
		t.Errorf("default gate: exit %d, %v", code, err)
	}
	if err := gate(a, []string{"findings", "validator"}); err != nil {
		t.Errorf("gate on what is not there: %v", err)
	}
	if err := gate(a, all); err == nil || !strings.Contains(err.Error(), "stalled: irwsem punch") {
		t.Errorf("gate on stalled: %v", err)
	}
}
