//go:build !linux

package harness

import "syscall"

// childAttr is the default elsewhere: node processes outlive a killed parent.
func childAttr() *syscall.SysProcAttr { return nil }
