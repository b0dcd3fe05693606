package strategies

import (
	"slices"
	"testing"
)

func TestCounterparts(t *testing.T) {
	if got := Paired(); !slices.Equal(got, []string{"irwsem", "invalidate"}) {
		t.Errorf("Paired = %v, want [irwsem invalidate]", got)
	}
	seen := map[string]string{}
	for _, n := range Names() {
		for _, c := range Counterparts(n) {
			if slices.Contains(Names(), c) {
				t.Errorf("%s's counterpart %s is a model strategy", n, c)
			}
			if o, ok := seen[c]; ok {
				t.Errorf("%s is the counterpart of both %s and %s", c, o, n)
			}
			seen[c] = n
		}
	}
	if Counterparts("perpage") != nil {
		t.Error("perpage has a counterpart")
	}
}
