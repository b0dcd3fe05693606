package results

// StalledShare is the share of the ops a paced job asks for below which it
// counts as stalled: a job held up for most of the window, not one that lost a
// little to a loaded machine.
const StalledShare = 0.5

// Stalled reports whether the job under key in r completed no op (the
// runner's OpStats.Stalled, or a count of 0), or, when it asked for asked
// ops/s (its threads times its rate; 0 for a closed loop), far fewer than
// that: under StalledShare of it. Such a job measured a lock or a
// wait, not the op, and its cell must not read as fine. A job absent from r
// (it had no threads in this cell) is not stalled.
func Stalled(r *Run, key string, asked float64) bool {
	s, ok := r.Ops[key]
	if !ok {
		return false
	}
	if s.Stalled || s.Count == 0 {
		return true
	}
	return asked > 0 && s.OpsPerSec < StalledShare*asked
}
