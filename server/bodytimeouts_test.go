package server

import (
	"testing"
	"time"
)

func TestBodyDeadlineFollowsTheBytesAndTheMinimumRate(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	bt := BodyTimeouts{Stall: 30 * time.Second, MinRate: 8 << 10}
	cases := []struct {
		name string
		last time.Duration // after start
		n    int64
		want time.Duration // after start
	}{
		{"nothing yet: the grace", 0, 0, 30 * time.Second},
		{"a slow honest link keeps moving the deadline", 10 * time.Minute, 8 << 10 * 600, 10*time.Minute + 30*time.Second},
		{"a trickle is held to the rate", 10 * time.Minute, 8 << 10, 31 * time.Second},
		{"a fast start earns no more than Stall after the last byte", time.Second, 32 << 20, 31 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := bt.next(start, start.Add(c.last), c.n).Sub(start); got != c.want {
				t.Fatalf("deadline %v after the start, want %v", got, c.want)
			}
		})
	}
	noRate := BodyTimeouts{Stall: time.Second}
	if got := noRate.next(start, start.Add(time.Hour), 1).Sub(start); got != time.Hour+time.Second {
		t.Fatalf("without a rate the deadline is Stall after the last byte, got %v", got)
	}
}
