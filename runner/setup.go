package runner

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/rwbench/rwbench/config"
	"github.com/rwbench/rwbench/oracle"
	"github.com/rwbench/rwbench/results"
	"github.com/rwbench/rwbench/target"
)

// warm reads every file in full, in 1 MiB reads, one goroutine per file (at
// most GOMAXPROCS), so that the run starts with the files cached as far as the
// target's cache holds them (config files.warm).
func warm(ctx context.Context, tg target.Target, c *config.Config, p *progress) error {
	if pw, ok := tg.(target.PageWarmer); ok {
		for file := range c.Files.Count {
			if ctx.Err() != nil {
				return nil
			}
			if err := pw.WarmPages(file); err != nil {
				return err
			}
			p.tick()
		}
		return nil
	}
	return eachChunk(tg, c, func(w target.Worker, file int, off int64, buf []byte) error {
		if ctx.Err() != nil {
			return nil
		}
		_, err := w.Read(file, off, buf)
		p.tick()
		return err
	})
}

// eachChunk calls do for every 1 MiB chunk of every file, one goroutine per
// file (at most GOMAXPROCS at once), each with a worker of its own; do gets the
// chunk's buffer to fill or read into. A file stops at its first error.
func eachChunk(tg target.Target, c *config.Config, do func(w target.Worker, file int, off int64, buf []byte) error) error {
	const chunk = 256 * oracle.PageSize
	errs := make([]error, c.Files.Count)
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex   // guards workerErr
	var workerErr error // NewWorker's, from any goroutine
	for range min(c.Files.Count, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, err := tg.NewWorker()
			if err != nil {
				mu.Lock()
				workerErr = errors.Join(workerErr, err)
				mu.Unlock()
				return
			}
			defer w.Close()
			buf := alignedBuffer(chunk)
			for {
				file := int(next.Add(1) - 1)
				if file >= c.Files.Count {
					return
				}
				for off := int64(0); off < int64(c.Files.Size); off += chunk {
					n := min(chunk, int64(c.Files.Size)-off)
					if err := do(w, file, off, buf[:n]); err != nil {
						errs[file] = err
						break
					}
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(workerErr, errors.Join(errs...))
}

// prefill writes every page of every file with a stamped value, one goroutine
// per file, in 1 MiB writes; it stops early (with ctx's error) when ctx ends.
func prefill(ctx context.Context, tg target.Target, or *oracle.Oracle, c *config.Config, p *progress) error {
	return eachChunk(tg, c, func(w target.Worker, file int, off int64, buf []byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		defer p.tick()
		first := uint64(off / oracle.PageSize)
		n := uint64(len(buf) / oracle.PageSize)
		gens := make([]uint64, n)
		for i := range n {
			gens[i] = or.BeginWrite(file, first+i)
			oracle.Fill(buf[i*oracle.PageSize:(i+1)*oracle.PageSize], uint32(file+1), first+i, gens[i])
		}
		_, err := w.Write(file, off, buf)
		for i := range n {
			or.EndWrite(file, first+i, gens[i])
		}
		return err
	})
}

// userFile reports whether file is the mapped user buffer of a read job
// (user_buffer: mmap).
func userFile(c *config.Config, file int) bool {
	return slices.ContainsFunc(c.Jobs, func(j config.Job) bool { return j.UserBuffer == "mmap" && j.UserFile == file })
}

// fsck checks the target after the run: its own structural check, then every
// page's content, read cold, against the oracle's final state. A read or
// writeback that fails is an I/O error of the check, not a finding. When ctx
// ends first, the check is recorded as not run.
func fsck(ctx context.Context, tg target.Target, or *oracle.Oracle, c *config.Config, p *progress) results.Fsck {
	var f results.Fsck
	const maxErrs = 20
	more, moreIO := 0, 0
	add := func(s string) {
		if len(f.Errors) < maxErrs {
			f.Errors = append(f.Errors, s)
		} else {
			more++
		}
	}
	addIO := func(s string) {
		if len(f.IOErrors) < maxErrs {
			f.IOErrors = append(f.IOErrors, s)
		} else {
			moreIO++
		}
	}
	if err := tg.Quiesce(); err != nil {
		addIO("quiesce: " + err.Error())
	}
	for _, s := range tg.Check() {
		add(s)
	}
	if or.Level() != oracle.Off {
		w, err := tg.NewWorker()
		if err != nil {
			add(err.Error())
		} else {
			const chunk = 256 * oracle.PageSize
			buf := alignedBuffer(chunk)
		files:
			for file := 0; file < c.Files.Count; file++ {
				if userFile(c, file) {
					continue // holds what reads copied into it, not what the oracle knows
				}
				for off := int64(0); off < int64(c.Files.Size); off += chunk {
					if ctx.Err() != nil {
						f.NotRun = true
						break files
					}
					n := min(chunk, int64(c.Files.Size)-off)
					got, err := w.Read(file, off, buf[:n])
					p.tick()
					if err != nil {
						addIO(fmt.Sprintf("file %d offset %d: %v", file, off, err))
						continue
					}
					clear(buf[got:n])
					for i := int64(0); i < n/oracle.PageSize; i++ {
						if err := or.CheckFinal(file, uint64(off/oracle.PageSize+i), buf[i*oracle.PageSize:(i+1)*oracle.PageSize]); err != nil {
							add(err.Error())
						}
					}
				}
			}
			if err := w.Close(); err != nil {
				add(err.Error())
			}
		}
	}
	if more > 0 {
		f.Errors = append(f.Errors, fmt.Sprintf("... and %d more", more))
	}
	if moreIO > 0 {
		f.IOErrors = append(f.IOErrors, fmt.Sprintf("... and %d more", moreIO))
	}
	f.Ok = len(f.Errors) == 0 && len(f.IOErrors) == 0 && !f.NotRun
	return f
}
