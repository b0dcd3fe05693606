//go:build amd64

#include "textflag.h"

// func readTSC() uint64
//
// Plain RDTSC, as fio's clocksource=cpu: not ordered with the instructions
// around it, so it costs about 10 ns here where an ordered read (RDTSCP, or
// LFENCE; RDTSC, which the vDSO's clock_gettime uses) also drains the pipeline
// of the work before it. See the package doc for what that means for a reading.
TEXT ·readTSC(SB), NOSPLIT|NOFRAME, $0-8
	RDTSC
	SHLQ $32, DX
	ORQ  DX, AX
	MOVQ AX, ret+0(FP)
	RET

// func readTSCOrdered() uint64
//
// RDTSCP waits until every earlier instruction has executed before it reads
// the counter: the calibration's brackets need that order. It clobbers CX
// (IA32_TSC_AUX), which ABI0 allows.
TEXT ·readTSCOrdered(SB), NOSPLIT|NOFRAME, $0-8
	RDTSCP
	SHLQ $32, DX
	ORQ  DX, AX
	MOVQ AX, ret+0(FP)
	RET

// func cpuidLeaf(leaf uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuidLeaf(SB), NOSPLIT|NOFRAME, $0-24
	MOVL leaf+0(FP), AX
	XORL CX, CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET
