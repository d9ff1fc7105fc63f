package main

import (
	"os/exec"
	"syscall"
	"time"
	"unsafe"
)

// dieWithParent makes the kernel kill cmd's process if this one dies, so
// that an interrupted run leaves no esnode or function behind.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// clockThreadCPUTime is Linux's CLOCK_THREAD_CPUTIME_ID.
const clockThreadCPUTime = 3

// threadCPU is the CPU time the calling OS thread has used. On a machine
// shared with other work the wall clock also counts the time a thread
// waits for a CPU; this does not. The caller locks its goroutine to the
// thread.
func threadCPU() time.Duration {
	var ts syscall.Timespec
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0
	}
	return time.Duration(ts.Nano())
}
