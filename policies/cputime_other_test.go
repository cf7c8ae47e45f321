//go:build !linux

package policies

import "time"

// threadCPU is only measured on Linux; elsewhere the CPU percentiles are
// left out of the benchmark report.
func threadCPU() (time.Duration, bool) { return 0, false }

func lockThread() func() { return func() {} }
