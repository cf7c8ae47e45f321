// Command trustgate is the one binary of the review pipeline: the services
// (dev, serve, worker), the operator tools (migrate, token) and the clients
// for developers and compliance (submit, status, scan, policy).
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
	{"dev", "start the whole local stack: PostgreSQL, Temporal dev server, worker, API and console", runDev},
	{"serve", "run the API and console against configured PostgreSQL and Temporal", runServe},
	{"worker", "run the Temporal worker against configured PostgreSQL and Temporal", runWorker},
	{"migrate", "apply database migrations as the owner role", runMigrate},
	{"token", "create API tokens (token create --role ROLE --subject NAME ...)", runToken},
	{"submit", "upload a package: submit --app ID --version V [--privacy DECL.json] [--privacy-policy POLICY.txt] [--wait] FILE.zip", runSubmit},
	{"status", "show a submission: status ID", runStatus},
	{"scan", "scan a package offline: scan [--platform wechat|alipay] [--json] FILE.zip", runScan},
	{"policy", "work with policy bundles: policy eval|test|replay|simulate", runPolicy},
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: trustgate COMMAND [flags]")
	fmt.Fprintln(w)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun trustgate COMMAND -h for its flags. Configuration comes from the environment (see README).")
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
				fmt.Fprintln(os.Stderr, "trustgate:", ee.msg)
			}
			os.Exit(ee.code)
		}
		fmt.Fprintf(os.Stderr, "trustgate %s: %v\n", c.name, err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "trustgate: unknown command %q\n\n", os.Args[1])
	usage(os.Stderr)
	os.Exit(2)
}

// newFlags makes a flag set whose errors are returned, not fatal.
func newFlags(name, usageLine string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: trustgate %s\n", usageLine)
		fs.PrintDefaults()
	}
	return fs
}
