package strategies

import (
	"slices"
	"testing"
)

// TestRegistry checks what the registry promises its callers: each name builds
// the strategy of that name and has a description, the lists derived from it
// keep its order, and unknown names are refused.
func TestRegistry(t *testing.T) {
	want := []string{"none", "irwsem", "perpage", "perbatch", "invalidate", "rangelock", "lockentries", "naive"}
	if got := Names(); !slices.Equal(got, want) {
		t.Errorf("Names = %v, want %v", got, want)
	}
	if got := SafeNames(); !slices.Equal(got, want[1:len(want)-1]) {
		t.Errorf("SafeNames = %v, want %v", got, want[1:len(want)-1])
	}
	for _, n := range Names() {
		s, err := New(n)
		if err != nil {
			t.Fatal(err)
		}
		if s.Name() != n {
			t.Errorf("New(%q) is called %q", n, s.Name())
		}
		if Describe(n) == "" {
			t.Errorf("%s has no description", n)
		}
	}
	if s, err := New("irwsem2"); err == nil {
		t.Errorf("New(irwsem2) = %v, want an error", s.Name())
	}
	if Describe("irwsem2") != "" || Counterparts("irwsem2") != nil {
		t.Error("an unknown name has a description or counterparts")
	}
}

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
