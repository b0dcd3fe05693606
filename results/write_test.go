package results_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rwbench/rwbench/results"
)

// TestWriteKeepsModeAndFollowsLinks: writing over a results file keeps its
// permission bits; through a symlink it replaces the file the link names and
// keeps the link; a directory or other non-regular file is never replaced.
func TestWriteKeepsModeAndFollowsLinks(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.json")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	if err := results.Write(link, sampleFile()); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", st.Mode(), err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v (%v), want the old file's 0600", st.Mode(), err)
	}
	if _, err := results.Read(path); err != nil {
		t.Errorf("the file the link names: %v", err)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := results.Write(sub, sampleFile()); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Write over a directory: %v", err)
	}
	if st, err := os.Stat(sub); err != nil || !st.IsDir() {
		t.Errorf("the directory was replaced: %v", err)
	}
}
