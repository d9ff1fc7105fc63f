//go:build !linux

package main

import (
	"os/exec"
	"time"
)

// dieWithParent has no portable equivalent of Linux's parent-death signal.
func dieWithParent(*exec.Cmd) {}

var processStart = time.Now()

// threadCPU falls back to the wall clock where the thread's CPU clock is
// not read.
func threadCPU() time.Duration { return time.Since(processStart) }
