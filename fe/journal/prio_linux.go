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
// priority and waits for it. On Linux the nice value is per thread. Once fn
// returns, the thread gets its nice value back and returns to the Go
// runtime; only when that is not permitted (raising priority needs
// CAP_SYS_NICE) does the goroutine exit while locked, which ends the thread,
// so that no other goroutine ever runs at the lowest priority. Ending a
// thread is avoided where possible because Linux's parent-death signal
// follows the thread that forked a child: a process that starts children
// (a test that runs a journal next to a MinIO it launched) would see them
// killed.
func runInBackground(fn func()) {
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer close(done)
		tid := syscall.Gettid()
		// The raw getpriority value is 20 - nice.
		raw, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
		// Best effort: a failure leaves the thread at normal priority.
		lowered := err == nil && syscall.Setpriority(syscall.PRIO_PROCESS, tid, backgroundNice) == nil
		fn()
		if !lowered || syscall.Setpriority(syscall.PRIO_PROCESS, tid, 20-raw) == nil {
			runtime.UnlockOSThread()
		}
	}()
	<-done
}
