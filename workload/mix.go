package workload

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// Kind is an operation kind. Its String is the op name used in configs and
// results files.
type Kind uint8

// The operation kinds, one per runner.Worker method.
const (
	Read     Kind = iota // Worker.Read
	Write                // Worker.Write
	Fault                // Worker.FaultRead
	MkWrite              // Worker.FaultWrite
	Punch                // Worker.Punch
	Truncate             // Worker.Truncate
	Zero                 // Worker.ZeroRange
	Advise               // Worker.Advise
	NumKinds
)

func (k Kind) String() string {
	switch k {
	case Read:
		return "read"
	case Write:
		return "write"
	case Fault:
		return "fault"
	case MkWrite:
		return "mkwrite"
	case Punch:
		return "punch"
	case Truncate:
		return "truncate"
	case Zero:
		return "zero"
	case Advise:
		return "advise"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// ParseKind parses an op name: read, write, fault, mkwrite, punch, truncate,
// zero or advise.
func ParseKind(s string) (Kind, error) {
	for k := range NumKinds {
		if k.String() == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("workload: unknown op %q (want read, write, fault, mkwrite, punch, truncate, zero or advise)", s)
}

// Mix draws op kinds with fixed relative weights. It belongs to one goroutine.
type Mix struct {
	cum   [NumKinds]float64 // cumulative weights in Kind order
	kinds [NumKinds]Kind
	n     int
	total float64
	r     *rand.Rand
}

// NewMix returns a mix drawing each named op with probability proportional to
// its weight. Weights must be finite and >= 0 with a positive sum; ops with
// weight 0 are never drawn.
func NewMix(weights map[string]float64, seed uint64) (*Mix, error) {
	m := &Mix{r: rand.New(rand.NewPCG(seed, 0xBB67AE8584CAA73B))}
	names := make([]string, 0, len(weights))
	for name := range weights {
		names = append(names, name)
	}
	sort.Strings(names) // map order must not change the stream
	var w [NumKinds]float64
	for _, name := range names {
		k, err := ParseKind(name)
		if err != nil {
			return nil, err
		}
		v := weights[name]
		if !(v >= 0) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("workload: weight of %s is %v; want a finite number >= 0", name, v)
		}
		w[k] = v
	}
	for k, v := range w {
		if v > 0 {
			m.total += v
			m.cum[m.n] = m.total
			m.kinds[m.n] = Kind(k)
			m.n++
		}
	}
	if m.n == 0 {
		return nil, fmt.Errorf("workload: op mix %v has no positive weight", weights)
	}
	return m, nil
}

// Next returns an op kind.
func (m *Mix) Next() Kind {
	if m.n == 1 {
		return m.kinds[0]
	}
	x := m.r.Float64() * m.total
	for i := 0; i < m.n-1; i++ {
		if x < m.cum[i] {
			return m.kinds[i]
		}
	}
	return m.kinds[m.n-1]
}
