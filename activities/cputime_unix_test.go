//go:build unix

package activities

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user and system) this process has used. On a
// shared machine the wall clock mostly measures the neighbours.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
