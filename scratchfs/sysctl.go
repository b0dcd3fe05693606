package scratchfs

import (
	"fmt"
	"path/filepath"
)

// sysctlDir is where the vm sysctls are.
const sysctlDir = "/proc/sys/vm"

// dirtySetting is one dirty threshold rwbench set for a run, with what it
// replaced. The kernel keeps each threshold as a byte count or a ratio (writing
// one zeroes the other), so both old values are kept and the one that was in
// force is written back.
type dirtySetting struct {
	Bytes    string `json:"bytes"`     // vm.dirty_bytes or vm.dirty_background_bytes
	Ratio    string `json:"ratio"`     // vm.dirty_ratio or vm.dirty_background_ratio
	OldBytes int64  `json:"old_bytes"` // 0 when the ratio was in force
	OldRatio int64  `json:"old_ratio"`
	Set      string `json:"set"` // the one rwbench wrote: Bytes or Ratio
	Value    int64  `json:"value"`
}

// readDirty returns the setting of name (Bytes or Ratio of the pair) to v,
// with the values it is to replace.
func readDirty(bytes, ratio, name string, v int64) (dirtySetting, error) {
	s := dirtySetting{Bytes: bytes, Ratio: ratio, Set: name, Value: v}
	var err error
	if s.OldBytes, err = readInt(filepath.Join(sysctlDir, bytes)); err != nil {
		return s, err
	}
	s.OldRatio, err = readInt(filepath.Join(sysctlDir, ratio))
	return s, err
}

// apply writes the setting and returns it as a condition.
func (s dirtySetting) apply() (string, error) {
	was := fmt.Sprintf("vm.%s=%d", s.Ratio, s.OldRatio)
	if s.OldBytes != 0 {
		was = fmt.Sprintf("vm.%s=%d", s.Bytes, s.OldBytes)
	}
	if err := writeInt(filepath.Join(sysctlDir, s.Set), s.Value); err != nil {
		return "", err
	}
	return fmt.Sprintf("vm.%s=%d (was %s)", s.Set, s.Value, was), nil
}

// restore writes back the threshold that was in force. If someone else
// changed the setting since rwbench did, the value is theirs: it is left, and
// the returned note says so (the setting is no longer rwbench's to undo).
func (s dirtySetting) restore() (note string, err error) {
	cur, err := readInt(filepath.Join(sysctlDir, s.Set))
	if err != nil {
		return "", err
	}
	if cur != s.Value {
		return fmt.Sprintf("could not: restore vm.%s: it is %d, not the %d rwbench set, so someone else set it: left as it is (before the run: vm.%s=%d, vm.%s=%d)",
			s.Set, cur, s.Value, s.Bytes, s.OldBytes, s.Ratio, s.OldRatio), nil
	}
	if s.OldBytes != 0 {
		return "", writeInt(filepath.Join(sysctlDir, s.Bytes), s.OldBytes)
	}
	return "", writeInt(filepath.Join(sysctlDir, s.Ratio), s.OldRatio)
}
