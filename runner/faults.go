package runner

import (
	"github.com/rwbench/rwbench/blockdev"
	"github.com/rwbench/rwbench/config"
)

// withFaults wraps the model's store in one that injects the faults of
// backend.faults, if the config has any; name is the store's path in errors.
func withFaults(c *config.Config, name string, s blockdev.Store) blockdev.Store {
	f := c.Backend.Faults
	if f == nil {
		return s
	}
	if name == "" {
		name = blockdev.KindMemory
	}
	// Validate has parsed the lists already: errors cannot happen here.
	pred := func(list string) func(uint64, int) bool {
		b, _ := config.ParseBlocks(list)
		if b == nil {
			return nil
		}
		return b.Has
	}
	stalled := pred(f.StallBlocks)
	if f.Stall > 0 && f.StallBlocks == "" {
		stalled = func(uint64, int) bool { return true }
	}
	return blockdev.NewFaulty(s, name, blockdev.Faults{
		ReadEIO: pred(f.ReadEIO), WriteEIO: pred(f.WriteEIO),
		Stalled: stalled, StallFor: f.Stall.D(),
		DeadAfter: f.DeadAfter.D(), DeadFor: f.DeadFor.D(), From: f.From.D(),
	})
}
