// Command trustgate-bench holds the harnesses that measure trustgate, kept
// out of the product binary: bench (throughput, latency and CPU per
// submission on a stack in this process, behind `make bench`) and load (a
// constant rate of GET /v1/submissions/{id} on loopback, behind `make load`).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// exitError carries an exit code other than 1 out of a command.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout io.Writer) error
}

var commands = []command{
	{"bench", "load harness: throughput, latency and CPU per submission on a local stack (make bench)", runBench},
	{"load", "offer a constant rate of GET /v1/submissions/{id} on loopback and print latencies: load --stack", runLoad},
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: trustgate-bench COMMAND [flags]")
	fmt.Fprintln(w)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun trustgate-bench COMMAND -h for its flags.")
}

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		usage(os.Stderr)
		if len(os.Args) < 2 {
			os.Exit(2)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	for _, c := range commands {
		if c.name != os.Args[1] {
			continue
		}
		err := c.run(ctx, os.Args[2:], os.Stdout)
		if err == nil {
			return
		}
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.msg != "" {
				fmt.Fprintln(os.Stderr, "trustgate-bench:", ee.msg)
			}
			os.Exit(ee.code)
		}
		fmt.Fprintf(os.Stderr, "trustgate-bench %s: %v\n", c.name, err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "trustgate-bench: unknown command %q\n\n", os.Args[1])
	usage(os.Stderr)
	os.Exit(2)
}

// newFlags makes a flag set whose errors are returned, not fatal.
func newFlags(name, usageLine string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: trustgate-bench %s\n", usageLine)
		fs.PrintDefaults()
	}
	return fs
}

// clientFlags are the API's address and a token, as the trustgate client
// commands take them.
func clientFlags(fs *flag.FlagSet) (server, token *string) {
	server = fs.String("server", envOr("TRUSTGATE_SERVER", "http://localhost:8080"), "trustgate API base URL (env TRUSTGATE_SERVER)")
	token = fs.String("token", os.Getenv("TRUSTGATE_TOKEN"), "bearer token (env TRUSTGATE_TOKEN)")
	return server, token
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// waitFor polls done every so often until it is true, fails, or ctx ends.
func waitFor(ctx context.Context, every time.Duration, done func() (bool, error)) error {
	for {
		ok, err := done()
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(every):
		}
	}
}
