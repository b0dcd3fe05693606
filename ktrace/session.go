package ktrace

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Options say what to trace.
type Options struct {
	// Dir is where tracefs is mounted; "" finds it in /proc/mounts, or mounts
	// it at a private temporary directory that Stop unmounts.
	Dir string
	// TGID is the process whose threads' events are kept (os.Getpid() for
	// rwbench's own workers); 0 keeps every process's.
	TGID int
}

// Session is one tracing window: Start begins it, Stop ends it and reports.
type Session struct {
	o           Options
	unavailable []string
	mounted     string    // the tracefs mount Start made, "" when it found one
	inst        *instance // nil when nothing could be traced
	col         *collector
	pipe        *os.File      // the instance's trace_pipe, which the reader closes
	stop        chan struct{} // closed by Stop: drain trace_pipe and return
	done        chan error    // the reader's outcome
	stopped     bool
}

// bufferKB is the instance's ring buffer per CPU: at a few thousand
// contentions per second with a stack each (about 1 KiB), a second and more of
// headroom between reads.
const bufferKB = "8192"

// pollEvery is how long the reader sleeps when trace_pipe is empty (it is
// opened non-blocking so that Stop never waits on a blocked read).
const pollEvery = 20 * time.Millisecond

// Start begins tracing lock contention (with the kernel stack of each) and
// balance_dirty_pages in a private tracefs instance, reading trace_pipe in a
// goroutine until Stop. Where tracefs or a tracepoint is unavailable, Start
// still succeeds and Stop's Report says why; it fails only when it cannot
// undo what it set up after a failure (the error says what is left).
func Start(o Options) (*Session, error) {
	s := &Session{o: o}
	if err := removeStaleMounts(); err != nil {
		s.unavailable = append(s.unavailable, "tracefs: unmounting the mounts of rwbench runs that are gone: "+err.Error())
	}
	dir := o.Dir
	if dir == "" {
		var err error
		if dir, err = findTracefs(); err != nil {
			return s.unavailableAll("tracefs: reading /proc/mounts: " + err.Error()), nil
		}
		if dir == "" {
			if dir, err = mountTracefs(); err != nil {
				return s.unavailableAll("tracefs is not mounted and could not be: " + err.Error()), nil
			}
			s.mounted = dir
		}
	} else if !isTracefs(dir) {
		return s.unavailableAll(fmt.Sprintf("%s is not a tracefs mount with instances", dir)), nil
	}
	if err := removeStale(dir); err != nil {
		s.unavailable = append(s.unavailable, "tracefs: removing instances of rwbench runs that are gone: "+err.Error())
	}
	s.inst = &instance{dir: filepath.Join(dir, "instances", instancePrefix+strconv.Itoa(os.Getpid()))}
	if err := os.Mkdir(s.inst.dir, 0o755); err != nil {
		s.inst = nil
		if err := s.unmount(); err != nil {
			return nil, err
		}
		return s.unavailableAll("tracefs: making an instance: " + err.Error()), nil
	}
	if reason := s.setup(); reason != "" {
		if err := s.teardown(); err != nil {
			return nil, err
		}
		s.inst = nil
		return s.unavailableAll(reason), nil
	}
	f, err := os.OpenFile(filepath.Join(s.inst.dir, "trace_pipe"), os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err == nil {
		err = s.inst.write("tracing_on", "1")
		if err != nil {
			f.Close()
		}
	}
	if err != nil {
		if terr := s.teardown(); terr != nil {
			return nil, terr
		}
		s.inst = nil
		return s.unavailableAll("tracefs: " + err.Error()), nil
	}
	s.col = newCollector(o.TGID)
	s.stop, s.done = make(chan struct{}), make(chan error, 1)
	s.pipe = f
	go func() { s.done <- s.read(f) }()
	return s, nil
}

// unavailableAll records why nothing is traced.
func (s *Session) unavailableAll(why string) *Session {
	s.unavailable = append(s.unavailable, "lock contention and dirty pauses not traced: "+why)
	return s
}

// setup configures the instance; it returns why nothing can be traced, or "".
// What only lessens the trace (a clock, the buffer size, stacks, one of the
// tracepoints) is noted in s.unavailable instead.
func (s *Session) setup() string {
	in := s.inst
	// record-tgid puts each thread's process id on its lines, which is how
	// the collector keeps the process's threads.
	if err := in.write("options/record-tgid", "1"); err != nil {
		return "no record-tgid option: " + err.Error()
	}
	// A clock that agrees across CPUs: a waiter may wake on another CPU.
	if in.write("trace_clock", "mono") != nil {
		if err := in.write("trace_clock", "global"); err != nil {
			s.unavailable = append(s.unavailable, "trace_clock: neither mono nor global: waits timed on per-CPU clocks")
		}
	}
	if err := in.write("buffer_size_kb", bufferKB); err != nil {
		s.unavailable = append(s.unavailable, "buffer_size_kb: "+err.Error())
	}
	// Record only the process's threads (and those they start), to spare the
	// ring buffer; the collector filters by tgid anyway.
	if s.o.TGID != 0 {
		if tids, err := threadsOf(s.o.TGID); err == nil && in.write("options/event-fork", "1") == nil {
			_ = in.write("set_event_pid", strings.Join(tids, " "))
		}
	}
	locks := in.write("events/lock/contention_begin/enable", "1")
	if locks == nil {
		if locks = in.write("events/lock/contention_end/enable", "1"); locks != nil {
			_ = in.write("events/lock/contention_begin/enable", "0")
		}
	}
	if locks != nil {
		s.unavailable = append(s.unavailable, "lock contention: tracepoints lock:contention_begin/end unavailable: "+locks.Error())
	} else if err := in.write("events/lock/contention_begin/trigger", "stacktrace"); err != nil {
		if err2 := in.write("options/stacktrace", "1"); err2 != nil {
			s.unavailable = append(s.unavailable, "lock stacks: no stacktrace trigger or option ("+err.Error()+
				"): contentions are counted under lock other, site (no stack)")
		}
	}
	pauses := in.write("events/writeback/balance_dirty_pages/enable", "1")
	if pauses != nil {
		s.unavailable = append(s.unavailable, "dirty pauses: tracepoint writeback:balance_dirty_pages unavailable: "+pauses.Error())
	}
	if locks != nil && pauses != nil {
		return "no tracepoint could be enabled"
	}
	return ""
}

// read feeds trace_pipe's lines to the collector until Stop, then drains what
// is left and closes f. trace_pipe is opened non-blocking: where the runtime
// polls it (tracefs supports poll), a read waits for data and Stop wakes it
// with a read deadline; otherwise a read of an empty pipe fails with EAGAIN
// and the reader sleeps pollEvery.
func (s *Session) read(f *os.File) error {
	defer f.Close()
	buf := make([]byte, 256<<10)
	var partial []byte
	for {
		stopping := s.stopping()
		if stopping {
			// Tracing is off: what is left comes at once; an empty pipe for
			// pollEvery means it is all read.
			_ = f.SetReadDeadline(time.Now().Add(pollEvery))
		}
		n, err := f.Read(buf)
		if n > 0 {
			data := append(partial, buf[:n]...)
			for {
				i := indexNewline(data)
				if i < 0 {
					break
				}
				s.col.add(string(data[:i]))
				data = data[i+1:]
			}
			partial = append(partial[:0], data...)
			continue
		}
		empty := errors.Is(err, syscall.EAGAIN) || errors.Is(err, os.ErrDeadlineExceeded) || err == io.EOF
		if err != nil && !empty {
			return fmt.Errorf("reading trace_pipe: %w", err)
		}
		if stopping {
			if len(partial) > 0 {
				s.col.add(string(partial))
			}
			return nil
		}
		if errors.Is(err, syscall.EAGAIN) || err == io.EOF {
			select {
			case <-s.stop:
			case <-time.After(pollEvery):
			}
		}
	}
}

// stopping reports whether Stop has begun.
func (s *Session) stopping() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}

func indexNewline(b []byte) int {
	for i, c := range b {
		if c == '\n' {
			return i
		}
	}
	return -1
}

// Stop ends the window: it turns tracing off, reads what is left, removes the
// instance (and unmounts tracefs if Start mounted it) and reports. The error
// says what could not be undone or read; the Report is valid all the same.
func (s *Session) Stop() (Report, error) {
	if s.stopped {
		return Report{}, errors.New("ktrace: session already stopped")
	}
	s.stopped = true
	if s.inst == nil {
		return Report{Unavailable: s.unavailable}, nil
	}
	_ = s.inst.write("tracing_on", "0")
	close(s.stop)
	_ = s.pipe.SetReadDeadline(time.Now().Add(pollEvery)) // wakes a read waiting in the poller
	readErr := <-s.done
	lost := s.inst.overruns()
	r := s.col.report()
	r.Unavailable = append(append([]string(nil), s.unavailable...), r.Unavailable...)
	if lost > 0 {
		r.Unavailable = append(r.Unavailable, fmt.Sprintf("%d events lost to ring-buffer overrun: the counts are lower bounds", lost))
	}
	if readErr != nil {
		r.Unavailable = append(r.Unavailable, readErr.Error())
	}
	return r, s.teardown()
}

// teardown removes the instance and unmounts what Start mounted.
func (s *Session) teardown() error {
	var errs []error
	if s.inst != nil {
		errs = append(errs, s.inst.remove())
	}
	errs = append(errs, s.unmount())
	return errors.Join(errs...)
}

func (s *Session) unmount() error {
	if s.mounted == "" {
		return nil
	}
	err := unmountTracefs(s.mounted)
	s.mounted = ""
	return err
}
