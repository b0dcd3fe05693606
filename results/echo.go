package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
)

// NormalizeConfig rewrites a config echo (File.Config) to the one duration
// convention of the results file: integer nanoseconds under a name ending in
// "_ns". The config writes a duration as a Go duration string under its key
// ("duration": "5s"); here it becomes "duration_ns": 5000000000, wherever it
// is. A duration is a string object value that parses as a Go duration with a
// unit; "name" and "description" are never one. Write stores the echo this
// way, and Read rewrites the echoes of older files, so that files from before
// the convention still compare and merge with newer ones. Keys keep their
// order; an echo that is not JSON is returned as it is.
func NormalizeConfig(raw json.RawMessage) json.RawMessage {
	if len(bytes.TrimSpace(raw)) == 0 {
		return raw
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var (
		out   bytes.Buffer
		stack []*echoFrame
		key   string
	)
	for {
		t, err := dec.Token()
		if err != nil {
			if errors.Is(err, io.EOF) && len(stack) == 0 {
				break
			}
			return raw
		}
		var top *echoFrame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.obj && top.wantKey {
			if d, ok := t.(json.Delim); ok && d == '}' {
				out.WriteByte('}')
				stack = stack[:len(stack)-1]
				valueDone(stack)
				continue
			}
			key, _ = t.(string)
			top.wantKey = false
			continue
		}
		if d, ok := t.(json.Delim); ok && (d == '}' || d == ']') {
			out.WriteByte(byte(d))
			stack = stack[:len(stack)-1]
			valueDone(stack)
			continue
		}
		if top != nil {
			if top.n > 0 {
				out.WriteByte(',')
			}
			top.n++
			if top.obj {
				k := key
				if s, ok := t.(string); ok && k != "name" && k != "description" {
					if ns, ok := durationNs(s); ok {
						k, t = k+"_ns", json.Number(strconv.FormatInt(ns, 10))
					}
				}
				kb, _ := json.Marshal(k)
				out.Write(kb)
				out.WriteByte(':')
			}
		}
		switch v := t.(type) {
		case json.Delim:
			out.WriteByte(byte(v))
			stack = append(stack, &echoFrame{obj: v == '{', wantKey: v == '{'})
		default:
			b, err := json.Marshal(v)
			if err != nil {
				return raw
			}
			out.Write(b)
			if top != nil && top.obj {
				top.wantKey = true
			}
		}
	}
	return out.Bytes()
}

// echoFrame is an open object or array of the echo NormalizeConfig rewrites.
type echoFrame struct {
	obj     bool // an object, not an array
	wantKey bool // an object whose next token is a key
	n       int  // values written
}

// valueDone marks, after a container closed, that the object holding it (if
// the top of stack is one) now expects its next key.
func valueDone(stack []*echoFrame) {
	if len(stack) > 0 && stack[len(stack)-1].obj {
		stack[len(stack)-1].wantKey = true
	}
}

// durationNs reads a Go duration string with a unit ("5s", "100ms", "0s").
func durationNs(s string) (int64, bool) {
	if s == "" || strings.TrimLeft(s, "0123456789.+-") == "" {
		return 0, false // a bare number is not a duration
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, false
	}
	return int64(d), true
}
