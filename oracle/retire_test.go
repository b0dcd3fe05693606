package oracle

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// gate is Readers whose grace periods pass only while open.
type gate struct {
	open  atomic.Bool
	marks atomic.Int32
}

func (g *gate) Mark() func() bool {
	g.marks.Add(1)
	return g.open.Load
}

func openGate() *gate {
	g := &gate{}
	g.open.Store(true)
	return g
}

// retireNow runs one retirement round with grace periods that pass at once.
func retireNow(t *testing.T, o *Oracle) {
	t.Helper()
	if !o.retire(openGate(), nil) {
		t.Fatal("retire gave up")
	}
}

// keptLen is the number of retired mutations kept apart in file f.
func keptLen(o *Oracle, f int) int {
	o.files[f].omu.RLock()
	defer o.files[f].omu.RUnlock()
	return len(o.files[f].kept)
}

// fill writes pages round robin (skipping none) until file 0 has issued n more gens.
func (e *env) fillWrites(n int, pages ...uint64) {
	for i := range n {
		p := pages[i%len(pages)]
		g := e.o.BeginWrite(0, p)
		e.o.EndWrite(0, p, g)
	}
}

func TestRetireBounded(t *testing.T) {
	e := newEnv(t, Header)
	e.write("first3", 0, 3)
	for round := range 40 {
		e.fillWrites(chunkLen/2, 0, 1, 2, 3)
		retireNow(t, e.o)
		if n := e.o.Entries(); n > 2*chunkLen {
			t.Fatalf("round %d: %d entries held, want at most %d", round, n, 2*chunkLen)
		}
	}
	if r := e.o.files[0].retired.Load(); r < 15*chunkLen {
		t.Fatalf("retired up to gen %d only", r)
	}
	if n := keptLen(e.o, 0); n != 0 {
		t.Fatalf("%d mutations kept apart; serialized overwrites leave none", n)
	}
	// The newest write of each page is still known, wherever it is now.
	e.zero("z", 0, 3, 1)
	e.write("last3", 0, 3)
	e.fillWrites(2*chunkLen, 0, 1, 2)
	retireNow(t, e.o)
	if e.o.files[0].lookup(e.gens["last3"]) != nil {
		t.Fatal("the chunk of last3 was not retired")
	}
	e.snap(0, 3)
	if got := e.check(0, 3, e.stamp("last3", 0, 3)); got != OK {
		t.Fatalf("newest write, retired to its slot: %v (%q)", got, e.o.Verify().Examples)
	}
	if err := e.o.CheckFinal(0, 3, e.stamp("last3", 0, 3)); err != nil {
		t.Fatal(err)
	}
	// Retired overwritten values are stale, and the floor's setter is named
	// from its slot.
	if got := e.check(0, 3, e.stamp("first3", 0, 3)); got != Stale {
		t.Fatalf("retired gen: %v, want stale", got)
	}
	if ex := e.o.Verify().Examples; len(ex) != 1 || !strings.Contains(ex[0], "returned gen 1 (retired: it ended before the floor set by gen ") {
		t.Fatalf("examples %q", ex)
	}
	err := e.o.CheckFinal(0, 3, e.stamp("first3", 0, 3))
	if err == nil || !strings.Contains(err.Error(), "holds gen 1, the final state is gen ") {
		t.Fatalf("CheckFinal of a retired gen: %v", err)
	}
	// A gen never issued is still foreign.
	e.gens["x"] = 1 << 40
	if got := e.check(0, 3, e.stamp("x", 0, 3)); got != Foreign {
		t.Fatalf("gen never issued: %v", got)
	}
}

// TestRetireSurvivors: mutations that are not dead when their chunk is
// retired (overlapping writes, a zeroing of a page not rewritten) are kept
// apart, still judged as before, and dropped once dead.
func TestRetireSurvivors(t *testing.T) {
	e := newEnv(t, Header)
	e.beginWrite("a", 0, 5)
	e.beginWrite("b", 0, 5)
	e.endWrite("b", 0, 5)
	e.endWrite("a", 0, 5) // a may have taken effect last: both are possible values
	e.zero("z", 0, 6, 2)  // pages 6 and 7, never written again
	e.fillWrites(2*chunkLen, 0, 1, 2)
	retireNow(t, e.o)
	if e.o.files[0].lookup(e.gens["a"]) != nil {
		t.Fatal("chunk 0 was not retired")
	}
	if n := keptLen(e.o, 0); n != 2 {
		t.Fatalf("%d kept, want 2 (the older overlapping write and the zeroing)", n)
	}
	e.snap(0, 5)
	for _, g := range []string{"a", "b"} {
		if got := e.check(0, 5, e.stamp(g, 0, 5)); got != OK {
			t.Fatalf("%s: %v (%q)", g, got, e.o.Verify().Examples)
		}
		if err := e.o.CheckFinal(0, 5, e.stamp(g, 0, 5)); err != nil {
			t.Fatalf("%s: %v", g, err)
		}
	}
	if err := e.o.CheckFinal(0, 6, zeroPage()); err != nil {
		t.Fatal(err)
	}
	e.write("w6", 0, 6)
	if err := e.o.CheckFinal(0, 6, zeroPage()); err == nil || !strings.Contains(err.Error(), "holds zeros, the final state is gen ") {
		t.Fatalf("CheckFinal of zeros after a write: %v", err)
	}
	if err := e.o.CheckFinal(0, 7, e.stamp("w6", 0, 6)); err == nil || !strings.Contains(err.Error(), "the final state is zeros (gen 3)") {
		t.Fatalf("CheckFinal naming the kept zeroing: %v", err)
	}
	// A stamp naming a retired zeroing's gen (only a harness bug makes one)
	// is no longer told from a retired write of the page: stale, not foreign.
	e.snap(0, 7)
	if got := e.check(0, 7, e.stamp("z", 0, 7)); got != Stale {
		t.Fatalf("retired zeroing's gen: %v", got)
	}

	// Overwrite page 5, page 7 is still the zeroing's: a and b die, z lives.
	e.write("c", 0, 5)
	e.fillWrites(2*chunkLen, 0, 1, 2)
	retireNow(t, e.o)
	if n := keptLen(e.o, 0); n != 1 {
		t.Fatalf("%d kept, want 1 (the zeroing)", n)
	}
	e.write("w7", 0, 7)
	e.fillWrites(2*chunkLen, 0, 1, 2)
	retireNow(t, e.o)
	if n := keptLen(e.o, 0); n != 0 {
		t.Fatalf("%d kept after every page was overwritten, want 0", n)
	}
	e.snap(0, 5)
	if got := e.check(0, 5, e.stamp("a", 0, 5)); got != Stale {
		t.Fatalf("retired a after c: %v", got)
	}
}

// TestRetireGrace: a read that snapshotted before a mutation became dead and
// is still in flight keeps the mutation's entry until the grace period passes;
// a read that snapshots after the drop and returns it is stale.
func TestRetireGrace(t *testing.T) {
	e := newEnv(t, Header)
	e.write("a", 0, 0)
	e.snap(0, 0) // the read in flight: it may return a
	inFlight := e.floors[0]
	e.write("b", 0, 0) // a is dead from here on
	e.fillWrites(2*chunkLen, 1, 2, 3)

	g := &gate{}
	stop := e.o.StartRetiring(g)
	defer stop()
	deadline := time.Now().Add(10 * time.Second)
	for g.marks.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no retirement round started")
		}
		time.Sleep(time.Millisecond)
	}
	// Scanned, not freed: the grace period has not passed.
	time.Sleep(3 * retirePeriod)
	if e.o.files[0].lookup(e.gens["a"]) == nil || e.o.files[0].retired.Load() != 0 {
		t.Fatal("a's chunk dropped before the grace period passed")
	}
	if got := e.o.Check(OpRead, 0, 0, inFlight, e.stamp("a", 0, 0)); got != OK {
		t.Fatalf("read in flight returning a: %v (%q)", got, e.o.Verify().Examples)
	}
	g.open.Store(true)
	for e.o.files[0].retired.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("nothing retired after the grace period passed")
		}
		time.Sleep(time.Millisecond)
	}
	stop()
	if e.o.files[0].lookup(e.gens["a"]) != nil {
		t.Fatal("a's chunk still there")
	}
	e.snap(0, 0)
	if got := e.check(0, 0, e.stamp("a", 0, 0)); got != Stale {
		t.Fatalf("a read after the drop returning a: %v", got)
	}
	if got := e.check(0, 0, e.stamp("b", 0, 0)); got != OK {
		t.Fatalf("a read after the drop returning b: %v", got)
	}
}

// TestRetireGraceSlot: a page's slot holds a retired write that a read in
// flight may return; the scan that puts a newer write in the slot keeps the
// displaced one (dead, but the read snapshotted before it died) until the free.
func TestRetireGraceSlot(t *testing.T) {
	e := newEnv(t, Header)
	e.write("a", 0, 0)
	e.fillWrites(2*chunkLen, 1, 2, 3)
	retireNow(t, e.o) // a is in page 0's slot
	e.snap(0, 0)
	inFlight := e.floors[0]
	e.write("b", 0, 0)
	e.fillWrites(2*chunkLen, 1, 2, 3)
	b := e.o.scan() // b displaces a
	if got := e.o.Check(OpRead, 0, 0, inFlight, e.stamp("a", 0, 0)); got != OK {
		t.Fatalf("read in flight returning a after the scan: %v (%q)", got, e.o.Verify().Examples)
	}
	e.o.free(b)
	e.snap(0, 0)
	if got := e.check(0, 0, e.stamp("a", 0, 0)); got != Stale {
		t.Fatalf("a read after the free returning a: %v", got)
	}
	if n := keptLen(e.o, 0); n != 0 {
		t.Fatalf("%d kept after the free, want 0", n)
	}
}

// TestRetireStopInGrace: stopping while a grace period is pending drops
// nothing; a later StartRetiring finishes the batch.
func TestRetireStopInGrace(t *testing.T) {
	e := newEnv(t, Header)
	e.fillWrites(2*chunkLen, 1, 2, 3)
	g := &gate{}
	stop := e.o.StartRetiring(g)
	for g.marks.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	stop()
	stop()
	if e.o.pending == nil || e.o.files[0].retired.Load() != 0 || e.o.files[0].chunkAt(0) == nil {
		t.Fatal("the batch was freed or forgotten at stop")
	}
	g.open.Store(true)
	stop = e.o.StartRetiring(g)
	defer stop()
	deadline := time.Now().Add(10 * time.Second)
	for e.o.files[0].retired.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the pending batch was never freed")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestRetireInFlightPins: a chunk with a mutation in flight is not retired,
// nor any later one, and End still finds the entry.
func TestRetireInFlightPins(t *testing.T) {
	o := New(1, 4, Header)
	slow := o.BeginWrite(0, 3)
	tok := o.BeginZero(0, 0, 2)
	for i := range 3 * chunkLen {
		g := o.BeginWrite(0, uint64(i%3))
		o.EndWrite(0, uint64(i%3), g)
	}
	if !o.retire(openGate(), nil) || o.files[0].retired.Load() != 0 || o.pending != nil {
		t.Fatal("retired past a mutation in flight")
	}
	o.EndWrite(0, 3, slow)
	if !o.retire(openGate(), nil) || o.files[0].retired.Load() != 0 {
		t.Fatal("retired past a zeroing in flight")
	}
	o.EndZero(tok)
	if !o.retire(openGate(), nil) || o.files[0].retired.Load() != 3*chunkLen {
		t.Fatalf("retired up to %d, want %d", o.files[0].retired.Load(), 3*chunkLen)
	}
	if n := o.Entries(); n != chunkLen+1 {
		t.Fatalf("%d entries, want %d: the partial chunk and the zeroing (it ended after the writes of its pages)", n, chunkLen+1)
	}
}

func TestRetireOff(t *testing.T) {
	o := New(1, 4, Off)
	o.StartRetiring(openGate())()
}

// BenchmarkCheckHeaderRetired is BenchmarkCheckHeader with every page's gen
// retired to its slot: the table misses, the slot answers.
func BenchmarkCheckHeaderRetired(b *testing.B) {
	o := New(1, 1032, Header)
	pages := make([][]byte, 1024)
	for i := range pages {
		g := o.BeginWrite(0, uint64(i))
		pages[i] = make([]byte, PageSize)
		Fill(pages[i], 1, uint64(i), g)
		o.EndWrite(0, uint64(i), g)
	}
	for i := range 2 * chunkLen {
		g := o.BeginWrite(0, 1024+uint64(i%8))
		o.EndWrite(0, 1024+uint64(i%8), g)
	}
	if !o.retire(openGate(), nil) || o.files[0].lookup(1) != nil {
		b.Fatal("not retired")
	}
	floors := make([]int64, 1024)
	o.Snapshot(0, 0, floors)
	c := o.NewChecker()
	b.SetBytes(PageSize)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if c.Check(OpRead, 0, uint64(i), floors[i], pages[i]) != OK {
			b.Fatal("finding")
		}
		i = (i + 1) & 1023
	}
}
