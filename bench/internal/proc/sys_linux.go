package proc

import (
	"os/exec"
	"syscall"
)

// setGroup makes cmd the leader of a new process group, killed when the
// harness dies.
func setGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func killGroup(pid int, sig syscall.Signal) { _ = syscall.Kill(-pid, sig) }
