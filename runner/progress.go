package runner

import "time"

// Phase is a step of one run, as progress reports name it.
type Phase string

// The phases of a run, in order.
const (
	PhasePrefill Phase = "prefill" // writing the files' initial content
	PhaseWarmup  Phase = "warm-up" // the workers run, unmeasured
	PhaseMeasure Phase = "measure" // the measurement window
	PhaseCheck   Phase = "fsck"    // the after-run check
)

// RunInfo says which run of the invocation begins, and how long its timed
// phases last.
type RunInfo struct {
	// Index is the run's position in the invocation (1-based) of Total.
	Index, Total int
	Strategy     string
	Params       map[string]string
	// Rep is the repetition (1-based) of Reps.
	Rep, Reps int
	// Warmup and Duration are the run's warm-up and measurement window.
	Warmup, Duration time.Duration
}

// Progress is told where a run is: Run before each run, Phase at each phase
// change within it. Calls come from the runner's goroutines one at a time
// but not always from the same one; they must return quickly.
type Progress interface {
	Run(RunInfo)
	Phase(Phase)
}

// noProgress is the Progress of a run that reports none.
type noProgress struct{}

func (noProgress) Run(RunInfo) {}
func (noProgress) Phase(Phase) {}
