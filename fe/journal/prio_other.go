//go:build !linux

package journal

// runInBackground runs fn; only Linux lowers the priority of one thread.
func runInBackground(fn func()) { fn() }
