// Package sigbus holds the one error every target returns for a fault on a page
// at or beyond end of file, where the kernel would deliver SIGBUS: the model
// (vfs), the host kernel (hostcache), the raw store (rawio) and the reference model
// (refmodel) alike, so callers match it with errors.Is and never by its text.
package sigbus

import "errors"

// ErrBeyondEOF is the error of a fault on a page at or beyond end of file.
var ErrBeyondEOF = errors.New("beyond EOF")
