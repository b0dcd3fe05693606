package workload

import "math/rand/v2"

// FilePicker draws one of a fixed set of file indexes uniformly. It belongs to
// one goroutine.
type FilePicker struct {
	files []int
	r     *rand.Rand
}

// NewFilePicker returns a picker over a copy of files. files must not be empty:
// NewFilePicker panics otherwise (an empty file set is a configuration error the
// caller checks first).
func NewFilePicker(files []int, seed uint64) *FilePicker {
	if len(files) == 0 {
		panic("workload: NewFilePicker with no files")
	}
	return &FilePicker{
		files: append([]int(nil), files...),
		r:     rand.New(rand.NewPCG(seed, 0x6A09E667F3BCC909)),
	}
}

// Next returns a file index.
func (p *FilePicker) Next() int {
	if len(p.files) == 1 {
		return p.files[0]
	}
	return p.files[p.r.IntN(len(p.files))]
}
