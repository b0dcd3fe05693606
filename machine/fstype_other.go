//go:build !linux

package machine

func detectFS(path string) string {
	if path == "" {
		return "memory"
	}
	return "unknown"
}
