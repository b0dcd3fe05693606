package machine

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/cpuid/v2"
	"github.com/rwbench/rwbench/results"
)

func TestHeader(t *testing.T) {
	tests := []struct {
		name string
		m    results.Machine
		want string
	}{
		{
			name: "typical",
			m: results.Machine{Brand: "AMD EPYC 7B13", LogicalCores: 2, PhysicalCores: 1,
				Kernel: "6.18.0", GoVersion: "go1.26.8", GOMAXPROCS: 2, FSType: "ext4", GOOS: "linux"},
			want: "AMD EPYC 7B13, Linux 6.18.0, go1.26.8, ext4; CPUID claims 2 logical, 1 physical cores",
		},
		{
			name: "a 2-CPU guest whose CPUID describes the host",
			m: results.Machine{Brand: "Oxide Virtual Turin-like Processor", CPUs: 2, OnlineCPUs: 2, MemoryBytes: 7 << 30,
				LogicalCores: 254, PhysicalCores: 254, Hypervisor: "Bhyve", Kernel: "6.18.44", GoVersion: "go1.26.8", GOMAXPROCS: 2,
				FSType: "ext4", GOOS: "linux", Clocksource: "kvm-clock", Clock: "monotonic"},
			want: "Oxide Virtual Turin-like Processor, 2 CPUs, 7.0 GiB, Bhyve guest, Linux 6.18.44, go1.26.8, ext4, clocksource kvm-clock, timer monotonic; CPUID claims 254 logical, 254 physical cores",
		},
		{
			name: "affinity narrower than the online CPUs, CPUID agreeing",
			m: results.Machine{Brand: "AMD EPYC 7B13", CPUs: 4, OnlineCPUs: 8, LogicalCores: 4, PhysicalCores: 4,
				Kernel: "6.18.0", GoVersion: "go1.26.8", GOMAXPROCS: 4, GOOS: "linux"},
			want: "AMD EPYC 7B13, 4 CPUs (of 8 online), Linux 6.18.0, go1.26.8",
		},
		{
			name: "old file without goos",
			m: results.Machine{Brand: "AMD EPYC 7B13", LogicalCores: 2, PhysicalCores: 1,
				Kernel: "6.18.0", GoVersion: "go1.26.8", GOMAXPROCS: 2, FSType: "ext4"},
			want: "AMD EPYC 7B13, Linux 6.18.0, go1.26.8, ext4; CPUID claims 2 logical, 1 physical cores",
		},
		{
			name: "guest with fewer Ps",
			m: results.Machine{Brand: "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz", LogicalCores: 8, PhysicalCores: 4,
				Hypervisor: "KVM", Kernel: "6.8.0-1012-aws", GoVersion: "go1.26.8", GOMAXPROCS: 4, FSType: "xfs", GOOS: "linux"},
			want: "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz, KVM guest, Linux 6.8.0-1012-aws, go1.26.8, GOMAXPROCS=4, xfs; CPUID claims 8 logical, 4 physical cores",
		},
		{
			name: "timed on the TSC",
			m: results.Machine{Brand: "AMD EPYC 7B13", LogicalCores: 2, PhysicalCores: 1, Hypervisor: "KVM",
				Kernel: "6.18.0", GoVersion: "go1.26.8", GOMAXPROCS: 2, FSType: "ext4", GOOS: "linux",
				Clock: "tsc", TSCHz: 2_596_138_063},
			want: "AMD EPYC 7B13, KVM guest, Linux 6.18.0, go1.26.8, ext4, timer tsc 2.596 GHz; CPUID claims 2 logical, 1 physical cores",
		},
		{
			name: "timed on the monotonic clock",
			m: results.Machine{Brand: "Neoverse-N1", Kernel: "6.1.0", GoVersion: "go1.26.8", FSType: "memory",
				Clock: "monotonic"},
			want: "Neoverse-N1, Linux 6.1.0, go1.26.8, memory, timer monotonic",
		},
		{
			name: "unknown cores",
			m:    results.Machine{Brand: "Neoverse-N1", Kernel: "6.1.0", GoVersion: "go1.26.8", FSType: "memory"},
			want: "Neoverse-N1, Linux 6.1.0, go1.26.8, memory",
		},
		{
			name: "empty",
			m:    results.Machine{},
			want: "unknown CPU",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Header(tt.m); got != tt.want {
				t.Errorf("Header() = %q\nwant       %q", got, tt.want)
			}
		})
	}
}

func TestDescribeMapping(t *testing.T) {
	var cpu cpuid.CPUInfo
	cpu.BrandName = "  AMD EPYC 7B13 64-Core Processor  "
	cpu.VendorID = cpuid.AMD
	cpu.VendorString = "AuthenticAMD"
	cpu.HypervisorVendorID = cpuid.KVM
	cpu.Family, cpu.Model = 25, 1
	cpu.PhysicalCores, cpu.LogicalCores, cpu.ThreadsPerCore = 1, 0, 2
	cpu.Cache.L1D, cpu.Cache.L1I, cpu.Cache.L2, cpu.Cache.L3 = 32768, 32768, 524288, -1

	h := host{cpus: 2, online: 4, memory: 8 << 30, clocksource: "kvm-clock"}
	m := describe(cpu, h, "6.18.0", "ext4", "go1.26.8", 2, "linux", "amd64")
	want := results.Machine{
		Brand: "AMD EPYC 7B13 64-Core Processor", Vendor: "AMD", Family: 25, Model: 1,
		CPUs: 2, OnlineCPUs: 4, MemoryBytes: 8 << 30, Clocksource: "kvm-clock",
		PhysicalCores: 1, LogicalCores: 0, ThreadsPerCore: 2,
		L1DataBytes: 32768, L1InstBytes: 32768, L2Bytes: 524288, L3Bytes: 0,
		Hypervisor: "KVM", Kernel: "6.18.0", GoVersion: "go1.26.8", GOMAXPROCS: 2,
		FSType: "ext4", GOOS: "linux", GOARCH: "amd64",
	}
	if m.Features == nil {
		t.Errorf("Features is nil; want an empty list so the JSON has []")
	}
	m.Features = nil
	if !reflect.DeepEqual(m, want) {
		t.Errorf("describe() =\n%+v\nwant\n%+v", m, want)
	}

	cpu.VendorID = cpuid.VendorUnknown
	cpu.VendorString = "HygonGenuine"
	cpu.HypervisorVendorID = cpuid.VendorUnknown
	cpu.HypervisorVendorString = "ACRNACRNACRN"
	m = describe(cpu, host{}, "", "", "", 0, "", "")
	if m.Vendor != "HygonGenuine" || m.Hypervisor != "ACRNACRNACRN" {
		t.Errorf("unknown vendors: vendor %q hypervisor %q, want the raw strings", m.Vendor, m.Hypervisor)
	}
}

func TestDescribeThisMachine(t *testing.T) {
	dir := t.TempDir()
	m := Describe(filepath.Join(dir, "not", "yet", "image"), "")
	if m.GoVersion != runtime.Version() || m.GOMAXPROCS != runtime.GOMAXPROCS(0) || m.GOOS != runtime.GOOS || m.GOARCH != runtime.GOARCH {
		t.Errorf("runtime fields: %+v", m)
	}
	if m.CPUs <= 0 {
		t.Errorf("CPUs = %d, want > 0", m.CPUs)
	}
	if runtime.GOOS == "linux" {
		// The header's count is what nproc prints: the CPUs this process may use.
		if out, err := exec.Command("nproc").Output(); err == nil {
			if n, _ := strconv.Atoi(strings.TrimSpace(string(out))); n != m.CPUs {
				t.Errorf("CPUs = %d, nproc says %d", m.CPUs, n)
			}
			if h := Header(m); !strings.Contains(h, fmt.Sprintf(", %d CPU", m.CPUs)) {
				t.Errorf("Header %q lacks the CPU count %d", h, m.CPUs)
			}
		}
		if m.OnlineCPUs < m.CPUs || m.MemoryBytes <= 0 || m.Clocksource == "" {
			t.Errorf("online %d, memory %d, clocksource %q", m.OnlineCPUs, m.MemoryBytes, m.Clocksource)
		}
		if m.Kernel == "" {
			t.Errorf("Kernel is empty on Linux")
		}
		if m.FSType == "" || m.FSType == "memory" || m.FSType == "blockdev" {
			t.Errorf("FSType of a missing file under a temp dir = %q, want the temp dir's filesystem", m.FSType)
		}
		if got := Describe(dir, "").FSType; got != m.FSType {
			t.Errorf("FSType of the dir = %q, of a missing file under it = %q", got, m.FSType)
		}
	}
	if got := Describe("", "").FSType; got != "memory" {
		t.Errorf("FSType without an image = %q, want memory", got)
	}
	if got := Describe(dir, "xfs").FSType; got != "xfs" {
		t.Errorf("FSType given = %q, want xfs", got)
	}
	if h := Header(m); !strings.Contains(h, runtime.Version()) {
		t.Errorf("Header(Describe()) = %q lacks the Go version", h)
	}
}
