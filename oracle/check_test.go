package oracle

import (
	"math"
	"strings"
	"testing"
)

// env runs a scripted history against a fresh oracle of 2 files of 8 pages.
type env struct {
	t      *testing.T
	o      *Oracle
	gens   map[string]uint64
	zeros  map[string]ZeroToken
	floors map[uint64]int64
	last   int64
}

func newEnv(t *testing.T, level Level) *env {
	return &env{t: t, o: New(2, 8, level), gens: map[string]uint64{}, zeros: map[string]ZeroToken{}, floors: map[uint64]int64{}}
}

// pause lets the clock move so that the next tick is strictly later: the tests
// state orders, and equal ticks would (correctly) make the oracle lenient.
func (e *env) pause() {
	for {
		if t := e.o.now(); t > e.last {
			e.last = t
			return
		}
	}
}

func (e *env) beginWrite(name string, file int, idx uint64) {
	e.pause()
	e.gens[name] = e.o.BeginWrite(file, idx)
	e.pause()
}

func (e *env) endWrite(name string, file int, idx uint64) {
	e.pause()
	e.o.EndWrite(file, idx, e.gens[name])
	e.pause()
}

func (e *env) write(name string, file int, idx uint64) {
	e.beginWrite(name, file, idx)
	e.endWrite(name, file, idx)
}

func (e *env) beginZero(name string, file int, first, count uint64) {
	e.pause()
	e.zeros[name] = e.o.BeginZero(file, first, count)
	e.gens[name] = e.zeros[name].Gen()
	e.pause()
}

func (e *env) endZero(name string) {
	e.pause()
	e.o.EndZero(e.zeros[name])
	e.pause()
}

func (e *env) zero(name string, file int, first, count uint64) {
	e.beginZero(name, file, first, count)
	e.endZero(name)
}

func (e *env) snap(file int, idx uint64) {
	var f [1]int64
	e.o.Snapshot(file, idx, f[:])
	e.floors[uint64(file)<<32|idx] = f[0]
	e.pause()
}

func (e *env) check(file int, idx uint64, page []byte) Finding {
	fl, ok := e.floors[uint64(file)<<32|idx]
	if !ok {
		e.t.Fatalf("no snapshot of file %d page %d", file, idx)
	}
	return e.o.Check(OpRead, file, idx, fl, page)
}

func (e *env) stamp(name string, file int, idx uint64) []byte {
	g, ok := e.gens[name]
	if !ok {
		e.t.Fatalf("no gen %q", name)
	}
	p := make([]byte, PageSize)
	Fill(p, uint32(file)+1, idx, g)
	return p
}

func zeroPage() []byte { return make([]byte, PageSize) }

func garbagePage() []byte {
	p := make([]byte, PageSize)
	for i := range p {
		p[i] = byte(i*7 + 3)
	}
	return p
}

func TestCheck(t *testing.T) {
	cases := []struct {
		name  string
		level Level
		run   func(e *env) []byte // the history; returns what the read got (file 0 page 3)
		want  Finding
		note  string // a substring of the first example, when a finding is expected
	}{
		{"fresh hole", Header, func(e *env) []byte { e.snap(0, 3); return zeroPage() }, OK, ""},
		{"fresh read of completed write", Header, func(e *env) []byte {
			e.write("a", 0, 3)
			e.snap(0, 3)
			return e.stamp("a", 0, 3)
		}, OK, ""},
		{"old gen after completed overwrite", Header, func(e *env) []byte {
			e.write("a", 0, 3)
			e.write("b", 0, 3)
			e.snap(0, 3)
			return e.stamp("a", 0, 3)
		}, Stale, "stale: read file 0 page 3 returned gen 1 (ended"},
		{"floor names its setter", Header, func(e *env) []byte {
			e.write("a", 0, 3)
			e.write("x", 0, 4)
			e.write("b", 0, 3)
			e.snap(0, 3)
			return e.stamp("a", 0, 3)
		}, Stale, "before the floor set by gen 3)"},
		{"overwrite completed after the snapshot", Header, func(e *env) []byte {
			e.write("a", 0, 3)
			e.snap(0, 3)
			e.write("b", 0, 3)
			return e.stamp("a", 0, 3)
		}, OK, ""},
		{"in-flight overwrite: old value", Header, func(e *env) []byte {
			e.write("a", 0, 3)
			e.beginWrite("b", 0, 3)
			e.snap(0, 3)
			return e.stamp("a", 0, 3)
		}, OK, ""},
		{"in-flight overwrite: new value", Header, func(e *env) []byte {
			e.write("a", 0, 3)
			e.beginWrite("b", 0, 3)
			e.snap(0, 3)
			return e.stamp("b", 0, 3)
		}, OK, ""},
		{"overwrite that began before and ended after the snapshot", Header, func(e *env) []byte {
			e.write("a", 0, 3)
			e.beginWrite("b", 0, 3)
			e.snap(0, 3)
			e.endWrite("b", 0, 3)
			return e.stamp("a", 0, 3)
		}, OK, ""},
		{"two overlapping writes, the older ends last", Header, func(e *env) []byte {
			// b began first but took effect after c (it waited for the lock).
			e.beginWrite("b", 0, 3)
			e.beginWrite("c", 0, 3)
			e.endWrite("c", 0, 3)
			e.endWrite("b", 0, 3)
			e.snap(0, 3)
			return e.stamp("b", 0, 3)
		}, OK, ""},
		{"foreign ino", Header, func(e *env) []byte {
			e.write("a", 1, 3)
			e.snap(0, 3)
			return e.stamp("a", 1, 3)
		}, Foreign, "foreign: read file 0 page 3 returned file 1 page 3 gen 1"},
		{"foreign idx", Header, func(e *env) []byte {
			e.write("a", 0, 4)
			e.snap(0, 3)
			return e.stamp("a", 0, 4)
		}, Foreign, "returned file 0 page 4"},
		{"gen never issued", Header, func(e *env) []byte {
			e.write("a", 0, 3)
			e.snap(0, 3)
			e.gens["x"] = 99
			return e.stamp("x", 0, 3)
		}, Foreign, "gen 99, never written to this page"},
		{"gen 0", Header, func(e *env) []byte {
			e.snap(0, 3)
			e.gens["x"] = 0
			return e.stamp("x", 0, 3)
		}, Foreign, "gen 0, never"},
		{"gen of another page", Header, func(e *env) []byte {
			e.write("a", 0, 5)
			e.snap(0, 3)
			return e.stamp("a", 0, 3)
		}, Foreign, "never written to this page"},
		{"gen of a zeroing", Header, func(e *env) []byte {
			e.zero("z", 0, 0, 8)
			e.snap(0, 3)
			return e.stamp("z", 0, 3)
		}, Foreign, "never written to this page"},
		{"zeros after punch", Header, func(e *env) []byte {
			e.write("a", 0, 3)
			e.zero("z", 0, 2, 3)
			e.snap(0, 3)
			return zeroPage()
		}, OK, ""},
		{"zeros when the last completed mutation was a write", Header, func(e *env) []byte {
			e.zero("z", 0, 2, 3)
			e.write("a", 0, 3)
			e.snap(0, 3)
			return zeroPage()
		}, Stale, "returned zeros (last zeroing ended"},
		{"zeros of a written page never zeroed", Header, func(e *env) []byte {
			e.write("a", 0, 3)
			e.snap(0, 3)
			return zeroPage()
		}, Stale, "returned zeros (never zeroed; the floor is set by gen 1)"},
		{"zeros of a punch of another range", Header, func(e *env) []byte {
			e.write("a", 0, 3)
			e.zero("z", 0, 4, 4)
			e.snap(0, 3)
			return zeroPage()
		}, Stale, "never zeroed"},
		{"zeros during an in-flight punch", Header, func(e *env) []byte {
			e.write("a", 0, 3)
			e.beginZero("z", 0, 0, 8)
			e.snap(0, 3)
			return zeroPage()
		}, OK, ""},
		{"old data during an in-flight punch", Header, func(e *env) []byte {
			e.write("a", 0, 3)
			e.beginZero("z", 0, 0, 8)
			e.snap(0, 3)
			return e.stamp("a", 0, 3)
		}, OK, ""},
		{"old data after a completed punch", Header, func(e *env) []byte {
			e.write("a", 0, 3)
			e.zero("z", 0, 3, 1)
			e.snap(0, 3)
			return e.stamp("a", 0, 3)
		}, Stale, "before the floor set by zeroing gen 2)"},
		{"zeros after a truncate to the end", Header, func(e *env) []byte {
			e.write("a", 0, 3)
			e.zero("t", 0, 1, math.MaxUint64)
			e.snap(0, 3)
			return zeroPage()
		}, OK, ""},
		{"zeros when a punch was in flight at the snapshot and ended", Header, func(e *env) []byte {
			e.write("a", 0, 3)
			e.beginZero("z", 0, 3, 1)
			e.snap(0, 3)
			e.endZero("z")
			return zeroPage()
		}, OK, ""},
		{"aborted write does not raise the floor", Header, func(e *env) []byte {
			e.write("a", 0, 3)
			e.beginWrite("b", 0, 3)
			e.o.AbortWrite(0, 3, e.gens["b"])
			e.snap(0, 3)
			return e.stamp("a", 0, 3)
		}, OK, ""},
		{"garbage", Header, func(e *env) []byte {
			e.write("a", 0, 3)
			e.snap(0, 3)
			return garbagePage()
		}, Foreign, "foreign: read file 0 page 3 returned a page with no stamp"},
		{"bad header checksum", Header, func(e *env) []byte {
			e.write("a", 0, 3)
			e.snap(0, 3)
			p := e.stamp("a", 0, 3)
			p[20] ^= 1
			return p
		}, Foreign, "a bad header checksum"},
		{"garbage while a write is in flight is a torn read", Header, func(e *env) []byte {
			e.write("a", 0, 3)
			e.beginWrite("b", 0, 3)
			e.snap(0, 3)
			return garbagePage()
		}, Torn, "torn: read file 0 page 3 returned"},
		{"garbage when a write began after the snapshot and ended", Header, func(e *env) []byte {
			e.write("a", 0, 3)
			e.snap(0, 3)
			e.write("b", 0, 3)
			return garbagePage()
		}, Torn, "torn: read file 0 page 3 returned"},
		{"garbage on a page left torn by overlapping writes", Header, func(e *env) []byte {
			e.beginWrite("a", 0, 3)
			e.beginWrite("b", 0, 3)
			e.endWrite("a", 0, 3)
			e.endWrite("b", 0, 3)
			e.snap(0, 3)
			return garbagePage()
		}, Torn, "torn: read file 0 page 3 returned"},
		{"taint clears when a write runs alone", Header, func(e *env) []byte {
			e.beginWrite("a", 0, 3)
			e.beginWrite("b", 0, 3)
			e.endWrite("a", 0, 3)
			e.endWrite("b", 0, 3)
			e.write("c", 0, 3)
			e.snap(0, 3)
			return garbagePage()
		}, Foreign, "no stamp"},
		{"full: flipped payload byte", Full, func(e *env) []byte {
			e.write("a", 0, 3)
			e.snap(0, 3)
			p := e.stamp("a", 0, 3)
			p[1000] ^= 0x40
			return p
		}, Corrupt, "corrupt: read file 0 page 3 returned a payload not its own under a valid header (gen 1)"},
		{"header: flipped payload byte is not looked at", Header, func(e *env) []byte {
			e.write("a", 0, 3)
			e.snap(0, 3)
			p := e.stamp("a", 0, 3)
			p[1000] ^= 0x40
			return p
		}, OK, ""},
		{"full: flipped payload byte during a write is torn", Full, func(e *env) []byte {
			e.write("a", 0, 3)
			e.beginWrite("b", 0, 3)
			e.snap(0, 3)
			p := e.stamp("a", 0, 3)
			p[1000] ^= 0x40
			return p
		}, Torn, "torn: read file 0 page 3 returned"},
		{"full: zero header over data", Full, func(e *env) []byte {
			e.snap(0, 3)
			p := zeroPage()
			p[4000] = 1
			return p
		}, Foreign, "a zero header over a nonzero payload"},
		{"full: clean page", Full, func(e *env) []byte {
			e.write("a", 0, 3)
			e.snap(0, 3)
			return e.stamp("a", 0, 3)
		}, OK, ""},
		{"off: garbage is not looked at", Off, func(e *env) []byte {
			e.write("a", 0, 3)
			e.snap(0, 3)
			return garbagePage()
		}, OK, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, c.level)
			page := c.run(e)
			got := e.check(0, 3, page)
			if got != c.want {
				t.Fatalf("Check = %v, want %v (examples %q)", got, c.want, e.o.Verify().Examples)
			}
			v := e.o.Verify()
			wantChecked := int64(1)
			if c.level == Off {
				wantChecked = 0
			}
			if v.Checked != wantChecked {
				t.Errorf("Checked = %d, want %d", v.Checked, wantChecked)
			}
			n := map[Finding]int64{Stale: v.Stale, Foreign: v.Foreign, Corrupt: v.Corrupt, Torn: v.Torn}
			for f, k := range n {
				want := int64(0)
				if f == c.want {
					want = 1
				}
				if k != want {
					t.Errorf("%v count = %d, want %d", f, k, want)
				}
			}
			if c.want == OK {
				if len(v.Examples) != 0 {
					t.Errorf("examples %q, want none", v.Examples)
				}
				return
			}
			if len(v.Examples) != 1 || !strings.Contains(v.Examples[0], c.note) {
				t.Errorf("examples %q, want one containing %q", v.Examples, c.note)
			}
			if c.want != Corrupt {
				bo := v.ByOp["read"]
				if bo.Stale+bo.Foreign+bo.Torn != 1 {
					t.Errorf("ByOp[read] = %+v, want the finding", bo)
				}
			}
		})
	}
}

func TestCheckerCountsMerge(t *testing.T) {
	e := newEnv(t, Header)
	e.write("a", 0, 3)
	e.write("b", 0, 3)
	e.snap(0, 3)
	c1, c2 := e.o.NewChecker(), e.o.NewChecker()
	fl := e.floors[3]
	c1.Check(OpRead, 0, 3, fl, e.stamp("b", 0, 3))
	c1.Check(OpRead, 0, 3, fl, e.stamp("a", 0, 3))
	c2.Check(OpFault, 0, 3, fl, e.stamp("a", 0, 3))
	e.o.Check(OpAdvise, 0, 3, fl, e.stamp("b", 0, 3))
	v := e.o.Verify()
	if v.Checked != 4 || v.Stale != 2 || v.Foreign != 0 {
		t.Fatalf("Verify = %+v", v)
	}
	if v.ByOp["read"].Stale != 1 || v.ByOp["fault"].Stale != 1 || v.ByOp["advise"].Stale != 0 {
		t.Fatalf("ByOp = %+v", v.ByOp)
	}
	if _, ok := v.ByOp["write"]; ok {
		t.Fatalf("ByOp has an op never checked: %+v", v.ByOp)
	}
	if len(v.Examples) != 2 || !strings.HasPrefix(v.Examples[1], "stale: fault file 0 page 3") {
		t.Fatalf("Examples = %q", v.Examples)
	}
}

func TestExamplesCapped(t *testing.T) {
	e := newEnv(t, Header)
	e.write("a", 0, 3)
	e.snap(0, 3)
	for range 50 {
		e.check(0, 3, garbagePage())
	}
	v := e.o.Verify()
	if v.Foreign != 50 || len(v.Examples) != maxExamples {
		t.Fatalf("Foreign = %d, %d examples", v.Foreign, len(v.Examples))
	}
}
