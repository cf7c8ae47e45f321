// Command trustgate-bench holds the harnesses that measure trustgate, kept
// out of the product binary: bench (throughput, latency and CPU per
// submission on a stack in this process, behind `make bench`) and load (a
// constant rate of GET /v1/submissions/{id} on loopback, behind `make load`).
package main

import (
	"flag"

	"trustgate/internal/cli"
)

// exitError carries an exit code other than 1 out of a command.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }
func (e *exitError) ExitCode() int { return e.code }

var commands = []cli.Command{
	{Name: "bench", Summary: "load harness: throughput, latency and CPU per submission on a local stack (make bench)", Run: runBench},
	{Name: "load", Summary: "offer a constant rate of GET /v1/submissions/{id} on loopback and print latencies: load --stack", Run: runLoad},
}

func main() { cli.Main("trustgate-bench", "", commands) }

// newFlags makes a flag set whose errors are returned, not fatal.
func newFlags(name, usageLine string) *flag.FlagSet {
	return cli.NewFlags("trustgate-bench", name, usageLine)
}

// The client flags and the waiting of the trustgate commands.
var (
	clientFlags = cli.ClientFlags
	envOr       = cli.EnvOr
	waitFor     = cli.WaitFor
)
