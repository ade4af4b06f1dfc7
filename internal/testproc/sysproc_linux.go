package testproc

import "syscall"

// sysProcAttr makes the process die with the test binary: a test that
// crashes or times out leaves no server behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
