//go:build linux

package journal

import (
	"runtime"
	"syscall"
)

// backgroundNice is the nice value an image is encoded and written at:
// the lowest CPU priority, so that proposals, raft and the apply goroutine
// win the CPU while a checkpoint runs.
const backgroundNice = 19

// runInBackground runs fn on an OS thread of its own at the lowest CPU
// priority and waits for it. On Linux the nice value is per thread; the
// thread is never handed back to the Go runtime (the goroutine exits while
// locked to it, which ends the thread), so no other goroutine ever runs at
// that priority.
func runInBackground(fn func()) {
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer close(done)
		// Best effort: a failure leaves the thread at normal priority.
		_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), backgroundNice)
		fn()
	}()
	<-done
}
