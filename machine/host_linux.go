package machine

import (
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// host is what the kernel says about the machine, beyond CPUID.
type host struct {
	cpus, online int    // CPUs the process may use (affinity), CPUs online
	memory       int64  // RAM in bytes
	clocksource  string // the kernel's current clocksource
}

// readHost asks the kernel; a value it cannot get stays zero.
func readHost() host {
	var h host
	var set unix.CPUSet
	if unix.SchedGetaffinity(0, &set) == nil {
		h.cpus = set.Count()
	}
	if b, err := os.ReadFile("/sys/devices/system/cpu/online"); err == nil {
		h.online = countCPUList(string(b))
	}
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) == nil {
		h.memory = int64(si.Totalram) * int64(max(si.Unit, 1))
	}
	if b, err := os.ReadFile("/sys/devices/system/clocksource/clocksource0/current_clocksource"); err == nil {
		h.clocksource = strings.TrimSpace(string(b))
	}
	return h
}

// countCPUList counts the CPUs of a kernel CPU list like "0-3,6,8-9"; 0 when
// it cannot be read.
func countCPUList(s string) int {
	n := 0
	for _, part := range strings.Split(strings.TrimSpace(s), ",") {
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return 0
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return 0
			}
		}
		n += b - a + 1
	}
	return n
}
