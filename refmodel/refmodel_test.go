package refmodel

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rwbench/rwbench/sigbus"

	"github.com/rwbench/rwbench/oracle"
)

const P = PageSize

// stamped returns n stamped pages of file 0 starting at page first.
func stamped(first, n int, gen uint64) []byte {
	b := make([]byte, n*P)
	fill(b, 1, int64(first)*P, gen)
	return b
}

func TestSemantics(t *testing.T) {
	type result struct {
		n   int
		err error
	}
	cases := []struct {
		name     string
		run      func(fs *Files) result // on 1 file of 4 pages, pages 0-3 written with gen 1
		size     int64                  // the file's size after
		contents []byte                 // its bytes after (nil: not checked)
		want     result
	}{
		{"read all", func(fs *Files) result {
			buf := make([]byte, 4*P)
			n, err := fs.Read(0, 0, buf)
			if !bytes.Equal(buf, stamped(0, 4, 1)) {
				return result{-1, nil}
			}
			return result{n, err}
		}, 4 * P, nil, result{4 * P, nil}},
		{"read short at EOF", func(fs *Files) result {
			n, err := fs.Read(0, 3*P, make([]byte, 2*P))
			return result{n, err}
		}, 4 * P, nil, result{P, nil}},
		{"read past EOF", func(fs *Files) result {
			n, err := fs.Read(0, 6*P, make([]byte, P))
			return result{n, err}
		}, 4 * P, nil, result{0, nil}},
		{"write extends, leaving a hole", func(fs *Files) result {
			n, err := fs.Write(0, 5*P, stamped(5, 1, 2))
			return result{n, err}
		}, 6 * P, append(append(stamped(0, 4, 1), make([]byte, P)...), stamped(5, 1, 2)...), result{P, nil}},
		{"write inside keeps the size", func(fs *Files) result {
			n, err := fs.Write(0, P, stamped(1, 1, 2))
			return result{n, err}
		}, 4 * P, append(append(stamped(0, 1, 1), stamped(1, 1, 2)...), stamped(2, 2, 1)...), result{P, nil}},
		{"punch keeps the size", func(fs *Files) result {
			return result{0, fs.Punch(0, P, 2*P)}
		}, 4 * P, append(append(stamped(0, 1, 1), make([]byte, 2*P)...), stamped(3, 1, 1)...), result{}},
		{"punch past EOF does not extend", func(fs *Files) result {
			return result{0, fs.Punch(0, 3*P, 4*P)}
		}, 4 * P, append(stamped(0, 3, 1), make([]byte, P)...), result{}},
		{"punch entirely past EOF", func(fs *Files) result {
			return result{0, fs.Punch(0, 8*P, P)}
		}, 4 * P, stamped(0, 4, 1), result{}},
		{"zero range keeps the size", func(fs *Files) result {
			return result{0, fs.ZeroRange(0, 2*P, 8*P)}
		}, 4 * P, append(stamped(0, 2, 1), make([]byte, 2*P)...), result{}},
		{"truncate down discards", func(fs *Files) result {
			return result{0, fs.Truncate(0, P)}
		}, P, stamped(0, 1, 1), result{}},
		{"truncate down then up reads zeros", func(fs *Files) result {
			if err := fs.Truncate(0, P); err != nil {
				return result{0, err}
			}
			return result{0, fs.Truncate(0, 3*P)}
		}, 3 * P, append(stamped(0, 1, 1), make([]byte, 2*P)...), result{}},
		{"truncate down then write past the end", func(fs *Files) result {
			if err := fs.Truncate(0, P); err != nil {
				return result{0, err}
			}
			n, err := fs.Write(0, 2*P, stamped(2, 1, 3))
			return result{n, err}
		}, 3 * P, append(append(stamped(0, 1, 1), make([]byte, P)...), stamped(2, 1, 3)...), result{P, nil}},
		{"fault inside", func(fs *Files) result {
			buf := make([]byte, P)
			err := fs.FaultRead(0, 2*P, buf)
			if !bytes.Equal(buf, stamped(2, 1, 1)) {
				return result{-1, err}
			}
			return result{0, err}
		}, 4 * P, nil, result{}},
		{"fault beyond EOF", func(fs *Files) result {
			return result{0, fs.FaultRead(0, 4*P, make([]byte, P))}
		}, 4 * P, nil, result{0, sigbus.ErrBeyondEOF}},
		{"mkwrite inside", func(fs *Files) result {
			return result{0, fs.FaultWrite(0, 3*P, stamped(3, 1, 4))}
		}, 4 * P, append(stamped(0, 3, 1), stamped(3, 1, 4)...), result{}},
		{"mkwrite beyond EOF", func(fs *Files) result {
			return result{0, fs.FaultWrite(0, 5*P, stamped(5, 1, 4))}
		}, 4 * P, stamped(0, 4, 1), result{0, sigbus.ErrBeyondEOF}},
		{"fault of the partial last page", func(fs *Files) result {
			if err := fs.Truncate(0, 3*P+100); err != nil {
				return result{0, err}
			}
			buf := make([]byte, P)
			if err := fs.FaultRead(0, 3*P, buf); err != nil {
				return result{0, err}
			}
			want := append(stamped(3, 1, 1)[:100], make([]byte, P-100)...)
			if !bytes.Equal(buf, want) {
				return result{-1, nil}
			}
			// A store past EOF in the last page is not kept.
			return result{0, fs.FaultWrite(0, 3*P, stamped(3, 1, 5))}
		}, 3*P + 100, append(stamped(0, 3, 1), stamped(3, 1, 5)[:100]...), result{}},
		{"advise is a no-op", func(fs *Files) result {
			return result{0, fs.Advise(0, 0, 16*P)}
		}, 4 * P, stamped(0, 4, 1), result{}},
		{"no such file", func(fs *Files) result {
			_, err := fs.Read(1, 0, make([]byte, P))
			return result{0, err}
		}, 4 * P, nil, result{0, errors.New("refmodel: no file 1")}},
		{"negative offset", func(fs *Files) result {
			return result{0, fs.Punch(0, -P, P)}
		}, 4 * P, nil, result{0, errors.New("refmodel: bad range off -4096 len 4096")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs := New(1, 0)
			if _, err := fs.Write(0, 0, stamped(0, 4, 1)); err != nil {
				t.Fatal(err)
			}
			got := c.run(fs)
			if got.n != c.want.n {
				t.Errorf("n = %d, want %d", got.n, c.want.n)
			}
			switch {
			case c.want.err == nil && got.err != nil,
				c.want.err != nil && got.err == nil,
				c.want.err != nil && !errors.Is(got.err, c.want.err) && got.err.Error() != c.want.err.Error():
				t.Errorf("err = %v, want %v", got.err, c.want.err)
			}
			if s := fs.Size(0); s != c.size {
				t.Errorf("size = %d, want %d", s, c.size)
			}
			if c.contents != nil && !bytes.Equal(fs.Contents(0), c.contents) {
				t.Errorf("contents differ")
			}
		})
	}
}

func TestNewIsZeros(t *testing.T) {
	fs := New(2, 3*P)
	for i := range 2 {
		if c := fs.Contents(i); len(c) != 3*P || !oracle.IsZero(c) {
			t.Fatalf("file %d: %d bytes, zero %v", i, len(c), oracle.IsZero(c))
		}
	}
}

func TestGenerateDeterministic(t *testing.T) {
	a := Generate(42, 5000, 3, 64*P)
	b := Generate(42, 5000, 3, 64*P)
	c := Generate(43, 5000, 3, 64*P)
	if len(a) != 5000 {
		t.Fatalf("%d ops", len(a))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("op %d: %v then %v for the same seed", i, a[i], b[i])
		}
	}
	same := 0
	for i := range a {
		if a[i] == c[i] {
			same++
		}
	}
	if same > len(a)/4 {
		t.Fatalf("seeds 42 and 43 share %d of %d ops", same, len(a))
	}
}

func TestGenerateMix(t *testing.T) {
	const files, size = 2, 32 * P
	ops := Generate(7, 20000, files, size)
	count := map[string]int{}
	shrinks, regrows := 0, 0
	fs := New(files, size)
	for i, op := range ops {
		if err := op.Valid(files, size); err != nil {
			t.Fatalf("op %d: %v", i, err)
		}
		if (op.Kind == KindWrite || op.Kind == KindMkwrite) != (op.Gen != 0) {
			t.Fatalf("op %d: %v has the wrong gen", i, op)
		}
		count[op.Kind]++
		if op.Kind == KindTruncate {
			if op.Off < fs.Size(op.File) {
				shrinks++
			} else if op.Off > fs.Size(op.File) {
				regrows++
			}
		}
		if _, err := Apply(fs, op, files); err != nil {
			t.Fatal(err)
		}
	}
	for k := range numKinds {
		if count[kind(byte(k))] < 200 {
			t.Errorf("only %d %s ops: %v", count[kind(byte(k))], kind(byte(k)), count)
		}
	}
	if shrinks < 100 || regrows < 100 {
		t.Errorf("%d shrinking and %d growing truncates", shrinks, regrows)
	}
	for f := range files {
		if fs.Size(f) > size {
			t.Errorf("file %d grew to %d", f, fs.Size(f))
		}
	}
}

func TestRunAndDiff(t *testing.T) {
	const files, size = 2, 16 * P
	ops := Generate(1, 2000, files, size)
	a, err := Run(New(files, size), ops, files)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Run(New(files, size), ops, files)
	if err != nil {
		t.Fatal(err)
	}
	if d := Diff(a, b); d != "" || !bytes.Equal(a, b) {
		t.Fatalf("two runs differ: %s", d)
	}
	for _, want := range []string{"op 0: ", "op 1999: ", "/", "zero", "err beyond-eof", "  n 0 err nil"} {
		if !bytes.Contains(a, []byte(want)) {
			t.Errorf("transcript lacks %q", want)
		}
	}

	// A target that returns a stale page once: Diff names the op.
	bad := &staleOnce{Files: New(files, size), after: 200}
	c, err := Run(bad, ops, files)
	if err != nil {
		t.Fatal(err)
	}
	d := Diff(a, c)
	if bad.op == 0 || !strings.HasPrefix(d, "op ") {
		t.Fatalf("Diff = %q (bad op %d)", d, bad.op)
	}
	t.Log(d)
	if _, err := Run(New(files, size), []Op{{Kind: "rename"}}, files); err == nil {
		t.Error("Run of an unknown kind succeeded")
	}
}

// staleOnce is a target that, once, after some reads, returns zeros for the first
// page of a read that holds data.
type staleOnce struct {
	*Files
	after, reads int
	op           int
}

func (s *staleOnce) Read(file int, off int64, buf []byte) (int, error) {
	n, err := s.Files.Read(file, off, buf)
	s.reads++
	if s.reads > s.after && s.op == 0 && n >= P && !oracle.IsZero(buf[:P]) {
		clear(buf[:P])
		s.op = s.reads
	}
	return n, err
}

func FuzzDecodeOps(f *testing.F) {
	f.Add([]byte{}, uint8(1), uint16(8))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 1, 0, 3, 0, 0, 7, 6, 1, 255, 255, 255, 255}, uint8(2), uint16(16))
	f.Add([]byte("a fuzzer's bytes become ops"), uint8(3), uint16(1))
	f.Fuzz(func(t *testing.T, data []byte, nfiles uint8, npages uint16) {
		files, size := int(nfiles%4)+1, int64(npages%64)*P+int64(npages>>10)
		ops := DecodeOps(data, files, size)
		if len(ops) != (len(data)+5)/6 {
			t.Fatalf("%d ops from %d bytes", len(ops), len(data))
		}
		for i, op := range ops {
			if err := op.Valid(files, size); err != nil {
				t.Fatalf("op %d: %v", i, err)
			}
		}
		fs := New(files, size)
		if _, err := Run(fs, ops, files); err != nil {
			t.Fatal(err)
		}
		for i := range files {
			if fs.Size(i) > max(size, limit(size)) {
				t.Fatalf("file %d grew to %d past %d", i, fs.Size(i), size)
			}
		}
	})
}

func TestErrString(t *testing.T) {
	for err, want := range map[error]string{
		nil:                 "nil",
		sigbus.ErrBeyondEOF: "beyond-eof",
		fmt.Errorf("fault: %w", sigbus.ErrBeyondEOF): "beyond-eof",
		errors.New("beyond EOF"):                     `"beyond EOF"`, // matched by errors.Is, never by its text
		errors.New("EIO"):                            `"EIO"`,
	} {
		if got := errString(err); got != want {
			t.Errorf("errString(%v) = %s, want %s", err, got, want)
		}
	}
}
