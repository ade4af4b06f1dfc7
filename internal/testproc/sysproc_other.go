//go:build !linux

package testproc

import "syscall"

// sysProcAttr has no parent-death signal outside Linux: t.Cleanup stops the
// servers, but a test binary that crashes may leave them running.
func sysProcAttr() *syscall.SysProcAttr { return nil }
