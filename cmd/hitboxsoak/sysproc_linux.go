package main

import "syscall"

// sysProcAttr makes a child die with the soak: a soak that is killed
// leaves no redis-server or hitboxd behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
