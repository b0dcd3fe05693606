package oracle

import (
	"fmt"
	"slices"
)

// Level is how much of a page Check looks at.
type Level uint8

const (
	// Off: Check returns OK without looking and counts nothing.
	Off Level = iota
	// Header checks the 32-byte header only (the benchmark default); an all-zero
	// header counts as a zero page.
	Header
	// Full also regenerates the payload and compares it, and checks that a zero
	// page is zero throughout.
	Full
)

// levelNames are the levels' names, in Level order.
func levelNames() [3]string { return [...]string{"off", "header", "full"} }

// ParseLevel parses "off", "header" or "full".
func ParseLevel(s string) (Level, error) {
	names := levelNames()
	if i := slices.Index(names[:], s); i >= 0 {
		return Level(i), nil
	}
	return Off, fmt.Errorf("oracle: unknown level %q (want off, header or full)", s)
}

func (l Level) String() string {
	names := levelNames()
	return enumName(uint8(l), names[:], "Level")
}

// OpKind is the operation (path) that returned the data a Check looks at. The
// names are the op names of the results file.
type OpKind uint8

const (
	OpRead OpKind = iota
	OpWrite
	OpFault
	OpMkwrite
	OpPunch
	OpTruncate
	OpZero
	OpAdvise
	numOps
)

// opNames are the op names of the results file, in OpKind order.
func opNames() [numOps]string {
	return [...]string{"read", "write", "fault", "mkwrite", "punch", "truncate", "zero", "advise"}
}

func (k OpKind) String() string {
	names := opNames()
	return enumName(uint8(k), names[:], "OpKind")
}

// ParseOpKind is the inverse of OpKind.String.
func ParseOpKind(s string) (OpKind, bool) {
	names := opNames()
	i := slices.Index(names[:], s)
	return OpKind(max(i, 0)), i >= 0
}

// enumName is v's name in names, or typ(v) for a value without one.
func enumName(v uint8, names []string, typ string) string {
	if int(v) < len(names) {
		return names[v]
	}
	return fmt.Sprintf("%s(%d)", typ, v)
}

// Finding is the verdict of one Check.
type Finding uint8

const (
	// OK: the value is one the page may hold (or the check was off or excused).
	OK Finding = iota
	// Stale: the value was overwritten by a mutation that completed before the
	// read began.
	Stale
	// Foreign: the value never belonged to this page: another file's or page's
	// stamp, a generation never written to this page, or garbage.
	Foreign
	// Corrupt: a valid header of this page over a payload that is not its own.
	Corrupt
	// Torn: a value that is no version of the page (a mix of two, or garbage)
	// while a mutation of the page overlapped the read. A store that copies
	// pages without locking them against writers (the host kernel's ext4) may
	// return one; the model, which publishes every page whole, must not.
	Torn
)

// String names f; the names are in Finding order.
func (f Finding) String() string {
	names := [...]string{"ok", "stale", "foreign", "corrupt", "torn"}
	return enumName(uint8(f), names[:], "Finding")
}
