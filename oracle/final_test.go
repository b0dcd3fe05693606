package oracle

// The after-run check, level parsing, and the growth of the generation table.

import (
	"strings"
	"testing"
)

func TestCheckFinal(t *testing.T) {
	cases := []struct {
		name string
		run  func(e *env) []byte // the history; returns what file 0 page 3 holds
		want string              // "" or a substring of the error
	}{
		{"never mutated, hole", func(e *env) []byte { return zeroPage() }, ""},
		{"never mutated, data", func(e *env) []byte {
			e.write("a", 0, 4)
			return e.stamp("a", 0, 4)
		}, "file 0 page 3: holds file 0 page 4 gen 1, the final state is zeros (never mutated)"},
		{"last write", func(e *env) []byte {
			e.write("a", 0, 3)
			e.write("b", 0, 3)
			return e.stamp("b", 0, 3)
		}, ""},
		{"older write", func(e *env) []byte {
			e.write("a", 0, 3)
			e.write("x", 0, 5)
			e.write("b", 0, 3)
			return e.stamp("a", 0, 3)
		}, "file 0 page 3: holds gen 1, the final state is gen 3"},
		{"overlapping writes: the first", func(e *env) []byte {
			e.beginWrite("a", 0, 3)
			e.beginWrite("b", 0, 3)
			e.endWrite("a", 0, 3)
			e.endWrite("b", 0, 3)
			return e.stamp("a", 0, 3)
		}, ""},
		{"overlapping writes: the second", func(e *env) []byte {
			e.beginWrite("a", 0, 3)
			e.beginWrite("b", 0, 3)
			e.endWrite("a", 0, 3)
			e.endWrite("b", 0, 3)
			return e.stamp("b", 0, 3)
		}, ""},
		{"zeros after a punch", func(e *env) []byte {
			e.write("a", 0, 3)
			e.zero("z", 0, 0, 8)
			return zeroPage()
		}, ""},
		{"data after a punch", func(e *env) []byte {
			e.write("a", 0, 3)
			e.zero("z", 0, 0, 8)
			return e.stamp("a", 0, 3)
		}, "holds gen 1, the final state is zeros (gen 2)"},
		{"zeros after a write", func(e *env) []byte {
			e.zero("z", 0, 0, 8)
			e.write("a", 0, 3)
			return zeroPage()
		}, "holds zeros, the final state is gen 2"},
		{"zeros of a write overlapping a punch", func(e *env) []byte {
			e.beginWrite("a", 0, 3)
			e.beginZero("z", 0, 0, 8)
			e.endWrite("a", 0, 3)
			e.endZero("z")
			return zeroPage()
		}, ""},
		{"aborted write's value", func(e *env) []byte {
			e.write("a", 0, 3)
			e.beginWrite("b", 0, 3)
			e.o.AbortWrite(0, 3, e.gens["b"])
			return e.stamp("b", 0, 3)
		}, ""},
		{"gen never issued", func(e *env) []byte {
			e.write("a", 0, 3)
			e.gens["x"] = 7
			return e.stamp("x", 0, 3)
		}, "holds gen 7, never written to this page"},
		{"corrupt payload", func(e *env) []byte {
			e.write("a", 0, 3)
			p := e.stamp("a", 0, 3)
			p[PageSize-1] ^= 1
			return p
		}, "holds gen 1 with a payload not its own"},
		{"garbage", func(e *env) []byte {
			e.write("a", 0, 3)
			return garbagePage()
		}, "holds no valid stamp, the final state is gen 1"},
		{"garbage on a tainted page", func(e *env) []byte {
			e.beginWrite("a", 0, 3)
			e.beginWrite("b", 0, 3)
			e.endWrite("b", 0, 3)
			e.endWrite("a", 0, 3)
			return garbagePage()
		}, ""},
		{"in flight", func(e *env) []byte {
			e.beginWrite("a", 0, 3)
			return e.stamp("a", 0, 3)
		}, "still in flight"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, Header)
			page := c.run(e)
			err := e.o.CheckFinal(0, 3, page)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("CheckFinal = %v, want nil", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("CheckFinal = %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	for _, l := range []Level{Off, Header, Full} {
		got, err := ParseLevel(l.String())
		if err != nil || got != l {
			t.Errorf("ParseLevel(%q) = %v, %v", l.String(), got, err)
		}
	}
	if _, err := ParseLevel("fast"); err == nil {
		t.Error("ParseLevel(fast) succeeded")
	}
	want := []string{"read", "write", "fault", "mkwrite", "punch", "truncate", "zero", "advise"}
	for i, s := range want {
		k, ok := ParseOpKind(s)
		if !ok || int(k) != i || k.String() != s {
			t.Errorf("ParseOpKind(%q) = %v, %v", s, k, ok)
		}
	}
}

func TestGensUniqueAndTableGrowth(t *testing.T) {
	o := New(1, 4, Header)
	n := uint64(3*chunkLen + 5)
	for i := uint64(1); i <= n; i++ {
		g := o.BeginWrite(0, i%4)
		if g != i {
			t.Fatalf("gen %d, want %d", g, i)
		}
		o.EndWrite(0, i%4, g)
	}
	if e := o.files[0].lookup(n); e == nil || e.info.Load() != int64(n%4)+1 {
		t.Fatal("last entry missing")
	}
	if o.files[0].lookup(n+chunkLen) != nil {
		t.Fatal("entry beyond the table")
	}
}
