package config

import "slices"

// UserBuffers are the valid Job.UserBuffer values ("" is heap).
func UserBuffers() []string { return []string{"heap", "mmap"} }

// UserSlot returns the offset of the buffer of thread th of job ji in its
// user_file (user_buffer: mmap): the slots of the jobs that map the same file
// follow each other, bs bytes per thread.
func (c *Config) UserSlot(ji, th int) int64 {
	j := c.Jobs[ji]
	var off int64
	for k := range ji {
		if o := c.Jobs[k]; o.UserBuffer == "mmap" && o.UserFile == j.UserFile {
			off += int64(o.Threads) * int64(o.BS)
		}
	}
	return off + int64(th)*int64(j.BS)
}

// validateUserBuffer checks user_buffer and user_file of job i: the buffer file's
// slots fit in it and, with verify on, no job works on it.
func (c *Config) validateUserBuffer(i int) *Error {
	j := &c.Jobs[i]
	p := index("jobs", i)
	if j.UserBuffer == "" || j.UserBuffer == "heap" {
		if c.isGiven(p + ".user_file") {
			return c.errAt(p+".user_file", "only with user_buffer: mmap")
		}
		return nil
	}
	if e := c.checkName(p+".user_buffer", "user buffer", j.UserBuffer, UserBuffers()); e != nil {
		return e
	}
	if j.Op != "read" {
		return c.errAt(p+".user_buffer", "only for read, not %s", j.Op)
	}
	if !c.isGiven(p + ".user_file") {
		return c.errAt(p+".user_file", "required with user_buffer: mmap: the file whose mapping is the buffer")
	}
	if j.UserFile < 0 || j.UserFile >= c.Files.Count {
		return c.errAt(c.pick(p+".user_file", "files.count"), "file %d out of range: files.count is %d", j.UserFile, c.Files.Count)
	}
	if end := c.UserSlot(i, j.Threads); end > int64(c.Files.Size) {
		return c.errAt(c.pick(p+".threads", p+".bs", p+".user_file", "files.size"),
			"the buffers of the jobs mapping file %d (threads x bs each) take %s, more than files.size (%s)", j.UserFile, Size(end), c.Files.Size)
	}
	if c.Verify == "off" {
		return nil
	}
	for k, o := range c.Jobs {
		if o.Threads > 0 && slices.Contains(c.FileIndexes(o), j.UserFile) {
			return c.errAt(c.pick(p+".user_file", index("jobs", k)+".files", "verify"),
				"the reads overwrite file %d, which jobs[%d] works on: with verify %s the buffer file must be one no job works on (or verify: off)",
				j.UserFile, k, c.Verify)
		}
	}
	return nil
}
