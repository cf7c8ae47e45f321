// Command trustgate is the one binary of the review pipeline: the services
// (dev, serve, worker), the operator tools (migrate, token) and the clients
// for developers and compliance (submit, status, scan, policy).
package main

import (
	"context"
	"flag"
	"io"

	"trustgate/internal/cli"
)

// exitError carries an exit code other than 1 out of a command.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }
func (e *exitError) ExitCode() int { return e.code }

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

func main() {
	cs := make([]cli.Command, len(commands))
	for i, c := range commands {
		cs[i] = cli.Command{Name: c.name, Summary: c.summary, Run: c.run}
	}
	cli.Main("trustgate", " Configuration comes from the environment (see README).", cs)
}

// The client flags and the waiting of every command.
var (
	clientFlags = cli.ClientFlags
	waitFor     = cli.WaitFor
)

// newFlags makes a flag set whose errors are returned, not fatal.
func newFlags(name, usageLine string) *flag.FlagSet {
	return cli.NewFlags("trustgate", name, usageLine)
}
