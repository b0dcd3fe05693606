package ktrace

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/rwbench/rwbench/blockdev"
)

// mountPrefix begins the name of the directory where Start mounts tracefs,
// followed by the process's pid and a dash: removeStaleMounts recognises
// those of processes that are gone by it.
const mountPrefix = "rwbench-tracefs-"

// mountTracefs mounts tracefs at a new private temporary directory.
func mountTracefs() (string, error) {
	dir, err := os.MkdirTemp("", mountPrefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return "", err
	}
	if err := syscall.Mount("nodev", dir, "tracefs", 0, ""); err != nil {
		os.Remove(dir)
		return "", fmt.Errorf("mounting tracefs at %s: %w", dir, err)
	}
	return dir, nil
}

// unmountTracefs undoes mountTracefs.
func unmountTracefs(dir string) error {
	if err := syscall.Unmount(dir, 0); err != nil {
		return fmt.Errorf("unmounting tracefs at %s: %w", dir, err)
	}
	return os.Remove(dir)
}

// removeStaleMounts unmounts the tracefs mounts that rwbench processes no
// longer running made (a run killed while tracing) and removes their
// directories; it touches no other mount.
func removeStaleMounts() error {
	f, err := os.Open("/proc/mounts")
	if err != nil {
		return err
	}
	var stale []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 3 || fs[2] != "tracefs" {
			continue
		}
		dir := blockdev.UnescapeOctal(fs[1])
		rest, ok := strings.CutPrefix(filepath.Base(dir), mountPrefix)
		pidText, _, dash := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || !dash || err != nil || pid <= 0 || pid == os.Getpid() || filepath.Dir(dir) != filepath.Clean(os.TempDir()) {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
			continue // its process still runs
		}
		stale = append(stale, dir)
	}
	f.Close()
	var errs []error
	for _, dir := range stale {
		errs = append(errs, unmountTracefs(dir))
	}
	return errors.Join(append(errs, sc.Err())...)
}
