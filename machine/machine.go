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
	return describe(cpuid.CPU, kernelRelease(), fsType, runtime.Version(), runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
}

// describe maps what Describe gathered to a results.Machine.
func describe(cpu cpuid.CPUInfo, kernel, fsType, goVersion string, gomaxprocs, numCPU int, goos, goarch string) results.Machine {
	m := results.Machine{
		Brand:          strings.TrimSpace(cpu.BrandName),
		Vendor:         vendor(cpu),
		Family:         cpu.Family,
		Model:          cpu.Model,
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
	if m.LogicalCores <= 0 {
		// CPUID could not tell (some ARM systems, some hypervisors): the
		// scheduler's count is the best there is.
		m.LogicalCores = numCPU
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
// "AMD EPYC 7B13 (2 logical, 1 physical cores), Linux 6.18.0, go1.26.8, ext4,
// clock tsc 2.596 GHz". It adds the hypervisor and GOMAXPROCS when they are worth
// knowing (a guest; fewer Ps than CPUs) and leaves out what m does not know
// (files from before the clock was recorded have none).
func Header(m results.Machine) string {
	var parts []string
	cpu := m.Brand
	if cpu == "" {
		cpu = "unknown CPU"
	}
	var cores []string
	if m.LogicalCores > 0 {
		cores = append(cores, fmt.Sprintf("%d logical", m.LogicalCores))
	}
	if m.PhysicalCores > 0 {
		cores = append(cores, fmt.Sprintf("%d physical", m.PhysicalCores))
	}
	if len(cores) > 0 {
		cpu += " (" + strings.Join(cores, ", ") + " cores)"
	}
	parts = append(parts, cpu)
	if m.Hypervisor != "" {
		parts = append(parts, m.Hypervisor+" guest")
	}
	if m.Kernel != "" {
		parts = append(parts, osName(m.GOOS)+" "+m.Kernel)
	}
	if m.GoVersion != "" {
		parts = append(parts, m.GoVersion)
	}
	if m.GOMAXPROCS > 0 && m.GOMAXPROCS != m.LogicalCores {
		parts = append(parts, fmt.Sprintf("GOMAXPROCS=%d", m.GOMAXPROCS))
	}
	if m.FSType != "" {
		parts = append(parts, m.FSType)
	}
	if m.Clock != "" {
		clk := "clock " + m.Clock
		if m.TSCHz > 0 {
			clk += fmt.Sprintf(" %.3f GHz", float64(m.TSCHz)/1e9)
		}
		parts = append(parts, clk)
	}
	return strings.Join(parts, ", ")
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
