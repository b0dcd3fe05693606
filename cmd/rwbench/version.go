package main

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// buildVersion names this build for `rwbench version` and the results files:
// the -ldflags "-X main.version=..." value when one was given, else the module
// version from the build info ("v1.2.0" for go install ...@v1.2.0, "(devel)"
// for a build in a checkout) with the VCS revision go build stamps in a
// checkout, its first 12 digits, and "+modified" when the tree had changes.
// Two builds of different commits thus never both say "dev".
func buildVersion() string {
	if version != "dev" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return version
	}
	return describeBuild(bi)
}

// describeBuild is buildVersion's reading of bi.
func describeBuild(bi *debug.BuildInfo) string {
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev string
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" || strings.Contains(v, rev[:min(12, len(rev))]) {
		// A pseudo-version (v0.0.0-2026...-abcdef123456) already names the commit.
		return v
	}
	v += " " + rev[:min(12, len(rev))]
	if modified {
		v += "+modified"
	}
	return v
}

// versionCommand is `rwbench version`: it takes no flags and ignores its arguments.
func versionCommand(stdout io.Writer) command {
	return command{run: func([]string) error {
		fmt.Fprintf(stdout, "rwbench %s\n", buildVersion())
		return nil
	}}
}
