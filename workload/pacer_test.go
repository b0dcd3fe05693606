package workload

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// since is a pacer's clock in a synctest bubble: fake nanoseconds since start.
func since(start time.Time) func() int64 {
	return func() int64 { return int64(time.Since(start)) }
}

// TestPacerOpenLoop runs a 1000 ops/s pacer for one fake-time second: it must
// issue exactly 1000 ops, each started exactly at its intended time.
func TestPacerOpenLoop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		start := time.Now()
		now := since(start)
		end := int64(time.Second)
		p := NewPacer(1000, now)
		n := 0
		for {
			intended, err := p.Wait(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if intended >= end {
				break
			}
			if at := now(); at != intended {
				t.Fatalf("op %d started at %v, intended %v", n, time.Duration(at), time.Duration(intended))
			}
			if want := int64(n) * int64(time.Millisecond); intended != want {
				t.Fatalf("op %d intended at %v, want %v", n, time.Duration(intended), time.Duration(want))
			}
			n++
		}
		if n != 1000 {
			t.Errorf("%d ops in one second at 1000 ops/s", n)
		}
	})
}

// TestPacerOddRate checks that rounding does not drift: 3 ops/s gives exactly 3
// ops per second over 10 seconds.
func TestPacerOddRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := NewPacer(3, since(time.Now()))
		n := 0
		for {
			intended, _ := p.Wait(context.Background())
			if intended >= int64(10*time.Second) {
				break
			}
			n++
		}
		if n != 30 {
			t.Errorf("%d ops in 10 s at 3 ops/s", n)
		}
	})
}

// TestPacerLateOp makes op 0 of a 100 ops/s schedule (10 ms apart) take 35 ms.
// Ops 1-3, intended at 10, 20 and 30 ms, then start late, back to back; their
// latency, measured from the intended start, includes the wait (no coordinated
// omission), and the schedule does not move: op 4 starts on time at 40 ms, and
// the second still holds exactly 100 ops.
func TestPacerLateOp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		now := since(time.Now())
		p := NewPacer(100, now)
		rec := NewRecorder(0, time.Second)
		const work = time.Millisecond
		var lat []time.Duration
		n := 0
		for {
			intended, err := p.Wait(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if intended >= int64(time.Second) {
				break
			}
			if n == 0 {
				time.Sleep(35 * time.Millisecond)
			} else {
				time.Sleep(work)
			}
			end := now()
			l := time.Duration(end - intended)
			rec.Tick(end)
			rec.Record(int64(l), 4096)
			lat = append(lat, l)
			n++
		}
		if n != 100 {
			t.Errorf("%d ops in one second", n)
		}
		want := []time.Duration{35 * time.Millisecond, 26 * time.Millisecond, 17 * time.Millisecond, 8 * time.Millisecond, work, work}
		for i, w := range want {
			if lat[i] != w {
				t.Errorf("op %d latency %v, want %v (all: %v)", i, lat[i], w, lat[:6])
			}
		}
		s := rec.Snapshot()
		if s.Count != 100 || s.Max != float64(35*time.Millisecond) || s.Min != float64(work) {
			t.Errorf("snapshot %+v", s)
		}
	})
}

func TestPacerClosedLoopAndCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		now := since(time.Now())
		p := NewPacer(0, now)
		time.Sleep(time.Hour)
		if got, _ := p.Wait(context.Background()); got != now() || got != int64(time.Hour) {
			t.Errorf("closed loop intended %v, want now %v", time.Duration(got), time.Duration(now()))
		}
		// A cancelled context ends a long wait at once.
		slow := NewPacer(1e-3, since(time.Now())) // one op per 1000 s, from now
		slow.Next()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		before := time.Now()
		if _, err := slow.Wait(ctx); err != context.DeadlineExceeded {
			t.Errorf("Wait = %v, want deadline exceeded", err)
		}
		if d := time.Since(before); d != time.Second {
			t.Errorf("cancelled Wait took %v", d)
		}
	})
}

func TestPacerNoAlloc(t *testing.T) {
	p := NewPacer(1e9, since(time.Now())) // always behind: never sleeps
	ctx := context.Background()
	if a := testing.AllocsPerRun(1000, func() { p.Wait(ctx) }); a != 0 {
		t.Errorf("%v allocs per Wait", a)
	}
}
