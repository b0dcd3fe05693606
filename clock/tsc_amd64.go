//go:build amd64

package clock

import "github.com/klauspost/cpuid/v2"

// readTSC reads the time-stamp counter with RDTSC, unordered (tsc_amd64.s).
func readTSC() uint64

// readTSCOrdered reads the time-stamp counter with RDTSCP, after every earlier
// instruction has executed. Call it only when tscCapable says the CPU has RDTSCP.
func readTSCOrdered() uint64

// cpuidLeaf runs CPUID for leaf (sub-leaf 0).
func cpuidLeaf(leaf uint32) (eax, ebx, ecx, edx uint32)

// tscCapable reports whether the CPU's TSC can be a clock: it is invariant (it
// ticks at a constant rate whatever the P-, C- and T-states: CPUID
// 0x80000007 EDX bit 8, which Linux shows as constant_tsc plus nonstop_tsc) and
// RDTSCP exists. github.com/klauspost/cpuid/v2 (v2.4.2) has a flag for RDTSCP
// but none for the invariant TSC, so that leaf is read here.
func tscCapable() bool {
	if !cpuid.CPU.Has(cpuid.RDTSCP) {
		return false
	}
	maxExt, _, _, _ := cpuidLeaf(0x8000_0000)
	if maxExt < 0x8000_0007 {
		return false
	}
	_, _, _, edx := cpuidLeaf(0x8000_0007)
	return edx&(1<<8) != 0
}
