package strategies

// Counterparts names, for each model strategy that today's kernel
// implements, the real filesystems that do (targets xfs, ext4 and btrfs): XFS
// still takes IOLOCK (i_rwsem) shared around every buffered read, so it is
// irwsem; ext4 and btrfs since Linux 5.15 take mapping->invalidate_lock where
// pages are created, so they are invalidate. The fidelity table holds the
// model's strategies against these.
func Counterparts(name string) []string {
	switch name {
	case "irwsem":
		return []string{"xfs"}
	case "invalidate":
		return []string{"ext4", "btrfs"}
	}
	return nil
}

// Paired lists the model strategies that have counterparts, in Names' order:
// the fidelity table's ratios are each of them over every later one
// (irwsem ÷ invalidate), beside the same ratio of their counterparts (xfs ÷
// ext4, xfs ÷ btrfs).
func Paired() []string {
	var out []string
	for _, n := range Names() {
		if len(Counterparts(n)) > 0 {
			out = append(out, n)
		}
	}
	return out
}
