// Package config is the run configuration of `rwbench run CONFIG.yaml`: the YAML
// schema, its defaults, its validation, and -set overrides and sweeps.
//
// # Life of a config
//
//	c, err := config.Load("configs/quick.yaml") // strict decode, no defaults
//	err = c.Set("jobs[1].threads", "4")          // -set overrides, any key by path
//	c.Defaults()                                 // fill what was not given
//	err = c.Validate(known)                      // names come from the caller
//	for _, v := range c.Sweep.Values { cell, err := c.Cell(v) ... }
//	raw := c.JSON()                              // the resolved config, for the results file
//
// # Decoding
//
// goccy/go-yaml parses the file and decodes it into the structs, strictly (yaml.Strict);
// Size and Duration decode themselves. Before it decodes, one walk over the YAML tree
// follows anchors, aliases and merge keys (<<) and records the key path of every node
// (jobs[1].threads) and its line. The walk checks what the decoder would let through:
// unknown keys, in file order and with the closest known key, duplicate keys, tags
// (!!str would convert a value), and numbers the decoder would convert (1.5 or "12"
// for an integer). The decoder's errors span lines with a source excerpt; they are
// converted to one line naming the key found from the error's token. Every error of
// this package is an *Error and prints as one line:
//
//	quick.yaml:12: jobs[1].threads: must be >= 0, got -2
//	quick.yaml:7: cache.sise: unknown key (did you mean size?)
//	quick.yaml: jobs[0].bs: bs (64MiB) must be <= files.size (16MiB)
//
// The last form, without a line, is a key that is not in the file: a default, or a
// value from -set. A key has one name, in its field's json tag, which goccy/go-yaml
// reads too: the YAML key, the JSON key of the results file and the path are the same.
//
// # Given keys and defaults
//
// The walk also records which keys the file gives, with their lines; Set adds the
// keys it sets. Defaults fills only zero fields whose key was not given, so a given
// zero keeps its meaning (threads: 0 disables a job, warmup: 0s skips warm-up,
// lock_stats: false, fault_around: 0), and Validate judges it instead of a default
// hiding it (cache.size: 0 is an error, not 256MiB). Defaults also records what it
// filled; Set after Defaults clears those fields, applies the change and fills them
// again, so derived defaults (cache.dirty_limit from cache.size, a job's length from
// its op) follow a -set or a sweep value.
//
// # Set and sweeps
//
// Set takes the paths that error messages print (cache.size, jobs[1].threads,
// backend.direct) and parses the value as YAML would in that place; a string takes
// the value literally and a list of strings takes a comma list. A sweep names one
// such path and a list of values; Cell builds the config of one value, and Validate
// builds and validates every cell.
//
// A sweep may instead list sets: named phases, each a list of "key=value" entries
// applied in order with Set, so that one config runs several workloads (the hit,
// cold and fault phases of configs/calibrate.yaml). Phase builds the config of one
// set, and the cells of a phase carry the params {"phase": name}. A phase that sets
// strategies runs only those, which is how a target that does not apply to a phase
// (raw on a cached workload) is left out. An error a phase causes is pinned to the
// entry that set the offending key, or else to the phase:
//
//	calibrate.yaml:63: sweep.sets[3].set[2]: phase cold: files.size: 4 files of 512MiB need backend.size >= 2070MiB ...
//
// Points returns the points of any sweep (values or sets) in order, with their
// params; the runner expands the matrix from it.
//
// # Goals
//
// Goals are calibration targets for `rwbench report`: in a phase, the model's
// median ops/s of an op over that of a reference (kernel, raw, or a strategy in
// another phase, for the measurement overhead) must reach a minimum ratio. The
// config checks that the phases, ops and names exist; the report computes and
// judges the ratios from the results file, whose resolved config carries them.
// The sweep and the goals belong to the whole matrix: the config of a point has
// neither.
//
// # Names from elsewhere
//
// Strategy, op and backend names belong to the model, which this package does not
// import: the caller passes them in a Known. Patterns (seq, rand, zipf) and verify
// modes (off, header, full) belong to the schema and are fixed here; so are the op
// names that change a default (punch, zero, truncate and advise take a length; fault
// and mkwrite take refault).
package config
