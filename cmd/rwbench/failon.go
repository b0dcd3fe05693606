package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rwbench/rwbench/report"
)

// defaultFailOn is run's -fail-on default: the results that mean the model is
// wrong (a strategy that must be clean showed stale data; the after-run check
// failed). Lock validator findings and stalled jobs are what some configs are
// for (naive-deadlock, race-demo), so they gate only when asked.
const defaultFailOn = "findings,fsck"

// failOnProblems are the problems -fail-on names, in the order they are reported.
var failOnProblems = []string{"findings", "fsck", "validator", "stalled"}

// parseFailOn reads -fail-on: a comma-separated subset of failOnProblems, or
// "none" (or empty) for none.
func parseFailOn(s string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		switch {
		case p == "" || p == "none":
		case slices.Contains(failOnProblems, p):
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		default:
			return nil, usagef("-fail-on %q: unknown problem %q (want a comma-separated list of %s, or none)", s, p, strings.Join(failOnProblems, ", "))
		}
	}
	return out, nil
}

// gate turns the problems of a that failOn names into a failure (exit 1), naming them.
func gate(a *report.Answer, failOn []string) error {
	found := map[string][]string{"findings": a.Findings, "fsck": a.Fsck, "validator": a.Validator, "stalled": a.Stalled}
	var msgs []string
	for _, p := range failOnProblems {
		if slices.Contains(failOn, p) && len(found[p]) > 0 {
			msgs = append(msgs, p+": "+strings.Join(found[p], ", "))
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("-fail-on %s: %s", strings.Join(failOn, ","), strings.Join(msgs, "; "))
}
