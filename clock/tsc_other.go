//go:build !amd64

package clock

// readTSC and readTSCOrdered are never called where there is no TSC source:
// tscCapable is false.
func readTSC() uint64        { return 0 }
func readTSCOrdered() uint64 { return 0 }

// tscCapable is false: only amd64 reads a cycle counter; every other
// architecture uses the monotonic clock.
func tscCapable() bool { return false }
