// Package configs holds the run configurations shipped with rwbench, embedded so that
// the binary and the tests can use them without a checkout. Each YAML file opens with
// a comment that says what question it answers and how to run it; they range from
// quick.yaml, a 30-second run of every strategy and op, to the headline experiments.
package configs

import "embed"

// FS holds the shipped configs, by file name (quick.yaml, mixed-rw.yaml, ...).
// It is read-only.
//
//go:embed *.yaml
var FS embed.FS

// Quick returns quick.yaml, the 30-second run of every strategy and every op.
func Quick() []byte {
	b, err := FS.ReadFile("quick.yaml")
	if err != nil {
		panic("configs: quick.yaml is not embedded: " + err.Error())
	}
	return b
}
