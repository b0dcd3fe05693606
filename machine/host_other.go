//go:build !linux

package machine

import "runtime"

// host is what the kernel says about the machine, beyond CPUID.
type host struct {
	cpus, online int
	memory       int64
	clocksource  string
}

// readHost knows only the scheduler's CPU count outside Linux.
func readHost() host { return host{cpus: runtime.NumCPU()} }
