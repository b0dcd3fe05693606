package main

import (
	"runtime/debug"
	"testing"
)

func TestDescribeBuild(t *testing.T) {
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	const rev = "7acd6fb1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7"
	tests := []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"checkout, clean", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "false")}, "(devel) 7acd6fb1c2d3"},
		{"checkout, modified", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "true")}, "(devel) 7acd6fb1c2d3+modified"},
		{"go install @v1.2.0", debug.BuildInfo{Main: debug.Module{Version: "v1.2.0"}}, "v1.2.0"},
		{"pseudo-version", debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261206175600-7acd6fb1c2d3"}, Settings: vcs(rev, "false")}, "v0.0.0-20261206175600-7acd6fb1c2d3"},
		{"no version, no vcs", debug.BuildInfo{}, "(devel)"},
	}
	for _, tt := range tests {
		if got := describeBuild(&tt.bi); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
