package harness

import "syscall"

// childAttr makes a node process die with the process that started it
// (Linux's parent-death signal), so a test binary killed by a timeout
// leaves no FE, CN or MinIO behind holding addresses and CPU.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
