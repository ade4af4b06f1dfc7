//go:build !linux

package proc

import (
	"os/exec"
	"syscall"
)

func setGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

func killGroup(pid int, sig syscall.Signal) { _ = syscall.Kill(-pid, sig) }
