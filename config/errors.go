package config

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
)

// Error is a config error. Its text is always one line:
//
//	FILE:LINE: KEY: problem     the key is in the file
//	FILE: KEY: problem          the key is not in the file (a default or a -set value)
//	KEY: problem                from Set, which has no file
//
// KEY is a path like jobs[1].threads; it is empty for YAML syntax errors.
type Error struct {
	File string // the name given to Load or Parse
	Line int    // 1-based line of the key; 0 when the key is not in the file
	Key  string // path of the key, like jobs[1].threads
	Msg  string // the problem
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(":")
			b.WriteString(strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return oneLine(b.String())
}

// inner is err as part of another config error: its key and problem, without file
// and line, and without the key when that is omit.
func inner(err error, omit string) string {
	e, ok := err.(*Error)
	if !ok {
		return err.Error()
	}
	if e.Key == "" || e.Key == omit {
		return e.Msg
	}
	return e.Key + ": " + e.Msg
}

// oneLine replaces line breaks so that a message can never span lines.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", `\n`)
	s = strings.ReplaceAll(s, "\n", `\n`)
	return strings.ReplaceAll(s, "\r", `\r`)
}

// fileError is Load's error for a file it cannot read: "config FILE: no such file".
type fileError struct {
	path string
	err  error
}

func (e *fileError) Error() string {
	if errors.Is(e.err, fs.ErrNotExist) {
		return oneLine(fmt.Sprintf("config %s: no such file", e.path))
	}
	var pe *fs.PathError
	if errors.As(e.err, &pe) {
		return oneLine(fmt.Sprintf("config %s: %v", e.path, pe.Err))
	}
	return oneLine(fmt.Sprintf("config %s: %v", e.path, e.err))
}

func (e *fileError) Unwrap() error { return e.err }
