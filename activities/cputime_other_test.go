//go:build !unix

package activities

import "time"

func processCPU() (time.Duration, bool) { return 0, false }
