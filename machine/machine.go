// Package machine describes the machine a benchmark runs on, for the results file
// (results.Machine) and for the one-line header every report starts with.
//
// The CPU comes from CPUID (github.com/klauspost/cpuid/v2), not /proc/cpuinfo, so
// the description is the same whatever the distribution and also names the
// hypervisor, which matters for a benchmark whose numbers move with the host's
// neighbours. The kernel release comes from uname(2). Describe gathers; the pure
// describe does the mapping so that it can be tested with made-up CPUs; Header
// formats. Nothing is cached: a description is taken once per run.
package machine

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/klauspost/cpuid/v2"
	"github.com/rwbench/rwbench/results"
)

// Describe describes this machine and the filesystem holding the image at
// imagePath. fsType, when not empty, is used as is ("ext4", "blockdev", "memory");
// otherwise it is detected from imagePath: "blockdev" for a block device, the
// filesystem's name from statfs(2) for a file (or, when the file does not exist yet,
// its directory), and "memory" when imagePath is empty too.
func Describe(imagePath string, fsType string) results.Machine {
	if fsType == "" {
		fsType = detectFS(imagePath)
	}
	h := readHost()
	if h.cpus == 0 {
		h.cpus = runtime.NumCPU()
	}
	return describe(cpuid.CPU, h, kernelRelease(), fsType, runtime.Version(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)
}

// describe maps what Describe gathered to a results.Machine.
func describe(cpu cpuid.CPUInfo, h host, kernel, fsType, goVersion string, gomaxprocs int, goos, goarch string) results.Machine {
	m := results.Machine{
		Brand:          strings.TrimSpace(cpu.BrandName),
		Vendor:         vendor(cpu),
		Family:         cpu.Family,
		Model:          cpu.Model,
		CPUs:           h.cpus,
		OnlineCPUs:     h.online,
		MemoryBytes:    h.memory,
		Clocksource:    h.clocksource,
		PhysicalCores:  cpu.PhysicalCores,
		LogicalCores:   cpu.LogicalCores,
		ThreadsPerCore: cpu.ThreadsPerCore,
		L1DataBytes:    max(cpu.Cache.L1D, 0),
		L1InstBytes:    max(cpu.Cache.L1I, 0),
		L2Bytes:        max(cpu.Cache.L2, 0),
		L3Bytes:        max(cpu.Cache.L3, 0),
		Hypervisor:     hypervisor(cpu),
		Features:       cpu.FeatureSet(),
		Kernel:         kernel,
		GoVersion:      goVersion,
		GOMAXPROCS:     gomaxprocs,
		FSType:         fsType,
		GOOS:           goos,
		GOARCH:         goarch,
	}
	if m.Features == nil {
		m.Features = []string{}
	}
	return m
}

func vendor(cpu cpuid.CPUInfo) string {
	if cpu.VendorID != cpuid.VendorUnknown {
		return cpu.VendorID.String()
	}
	return strings.TrimSpace(cpu.VendorString)
}

// hypervisor names the hypervisor this runs under, "" on bare metal.
func hypervisor(cpu cpuid.CPUInfo) string {
	if cpu.HypervisorVendorID != cpuid.VendorUnknown {
		return cpu.HypervisorVendorID.String()
	}
	if s := strings.TrimSpace(strings.Trim(cpu.HypervisorVendorString, "\x00")); s != "" {
		return s
	}
	if cpu.Has(cpuid.HYPERVISOR) {
		return "unknown"
	}
	return ""
}

// Header is a one-line description of m for the top of a report, like
// "AMD EPYC 7B13, 2 CPUs, 7.8 GiB, KVM guest, Linux 6.18.0, go1.26.8, ext4,
// clocksource kvm-clock, timer tsc 2.596 GHz; CPUID claims 254 logical, 254
// physical cores". The CPU count is the CPUs the process may use (what nproc
// prints), with those online when they differ; CPUID's core counts, which on
// a virtual machine describe the host's package, come last and only as its
// claim, and only when they differ. It adds the hypervisor and GOMAXPROCS when
// they are worth knowing (a guest; fewer Ps than CPUs) and leaves out what m
// does not know (older files lack the CPU count, memory and clocksource: their
// cores are shown as CPUID's).
func Header(m results.Machine) string {
	var parts []string
	cpu := m.Brand
	if cpu == "" {
		cpu = "unknown CPU"
	}
	parts = append(parts, cpu)
	if m.CPUs > 0 {
		c := fmt.Sprintf("%d CPUs", m.CPUs)
		if m.CPUs == 1 {
			c = "1 CPU"
		}
		if m.OnlineCPUs > 0 && m.OnlineCPUs != m.CPUs {
			c += fmt.Sprintf(" (of %d online)", m.OnlineCPUs)
		}
		parts = append(parts, c)
	}
	if m.MemoryBytes > 0 {
		parts = append(parts, fmt.Sprintf("%.1f GiB", float64(m.MemoryBytes)/(1<<30)))
	}
	if m.Hypervisor != "" {
		parts = append(parts, m.Hypervisor+" guest")
	}
	if m.Kernel != "" {
		parts = append(parts, osName(m.GOOS)+" "+m.Kernel)
	}
	if m.GoVersion != "" {
		parts = append(parts, m.GoVersion)
	}
	if procs := cpuCount(m); m.GOMAXPROCS > 0 && m.GOMAXPROCS != procs {
		parts = append(parts, fmt.Sprintf("GOMAXPROCS=%d", m.GOMAXPROCS))
	}
	if m.FSType != "" {
		parts = append(parts, m.FSType)
	}
	if m.Clocksource != "" {
		parts = append(parts, "clocksource "+m.Clocksource)
	}
	if m.Clock != "" {
		clk := "timer " + m.Clock
		if m.TSCHz > 0 {
			clk += fmt.Sprintf(" %.3f GHz", float64(m.TSCHz)/1e9)
		}
		parts = append(parts, clk)
	}
	s := strings.Join(parts, ", ")
	if claim := cpuidClaim(m); claim != "" {
		s += "; " + claim
	}
	return s
}

// cpuCount is the machine's CPU count as far as m knows: the usable CPUs, or
// in older files CPUID's logical cores.
func cpuCount(m results.Machine) int {
	if m.CPUs > 0 {
		return m.CPUs
	}
	return m.LogicalCores
}

// cpuidClaim is what CPUID says of the cores, when it says something the CPU
// count does not: "CPUID claims 254 logical, 254 physical cores".
func cpuidClaim(m results.Machine) string {
	if m.LogicalCores <= 0 && m.PhysicalCores <= 0 {
		return ""
	}
	if m.CPUs > 0 && m.LogicalCores == m.CPUs && (m.PhysicalCores == 0 || m.PhysicalCores == m.CPUs) {
		return ""
	}
	var cores []string
	if m.LogicalCores > 0 {
		cores = append(cores, fmt.Sprintf("%d logical", m.LogicalCores))
	}
	if m.PhysicalCores > 0 {
		cores = append(cores, fmt.Sprintf("%d physical", m.PhysicalCores))
	}
	return "CPUID claims " + strings.Join(cores, ", ") + " cores"
}

// Short is a few words for a chart's subtitle: the CPU, its count, the kernel.
func Short(m results.Machine) string {
	var parts []string
	if b := strings.Join(strings.Fields(m.Brand), " "); b != "" {
		parts = append(parts, b)
	}
	if m.CPUs > 0 {
		parts = append(parts, fmt.Sprintf("%d CPUs", m.CPUs))
	} else if m.LogicalCores > 0 {
		parts = append(parts, fmt.Sprintf("%d logical cores (CPUID)", m.LogicalCores))
	}
	if m.Kernel != "" {
		parts = append(parts, "kernel "+m.Kernel)
	}
	return strings.Join(parts, " · ")
}

// osName is the usual spelling of a GOOS. Files from before GOOS was recorded are
// from Linux, the only system rwbench runs on.
func osName(goos string) string {
	switch goos {
	case "", "linux":
		return "Linux"
	case "darwin":
		return "Darwin"
	case "freebsd":
		return "FreeBSD"
	case "netbsd":
		return "NetBSD"
	case "openbsd":
		return "OpenBSD"
	}
	return goos
}
