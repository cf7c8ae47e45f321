// Package cli is the frame that trustgate's commands (the product binary
// and the measuring harnesses) share: a table of subcommands dispatched
// from os.Args, flag sets whose errors are returned, exit codes carried out
// of a subcommand as errors, and the client flags that name the API.
package cli

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

// Command is one subcommand of a program.
type Command struct {
	Name, Summary string
	Run           func(ctx context.Context, args []string, stdout io.Writer) error
}

// exitCoder is an error that says which code the program exits with; its
// message, unless empty, is printed first.
type exitCoder interface {
	error
	ExitCode() int
}

func usage(w io.Writer, program, epilogue string, commands []Command) {
	fmt.Fprintf(w, "usage: %s COMMAND [flags]\n\n", program)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.Name, c.Summary)
	}
	fmt.Fprintf(w, "\nRun %s COMMAND -h for its flags.%s\n", program, epilogue)
}

// Main runs the subcommand os.Args names until it returns or the process
// is interrupted, and exits: 0 when it succeeded, 2 for a usage error or
// -h, an exitCoder's code, 1 for any other error. epilogue follows the
// usage text.
func Main(program, epilogue string, commands []Command) {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		usage(os.Stderr, program, epilogue, commands)
		if len(os.Args) < 2 {
			os.Exit(2)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	for _, c := range commands {
		if c.Name != os.Args[1] {
			continue
		}
		err := c.Run(ctx, os.Args[2:], os.Stdout)
		if err == nil {
			return
		}
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		var ec exitCoder
		if errors.As(err, &ec) {
			if msg := ec.Error(); msg != "" {
				fmt.Fprintln(os.Stderr, program+":", msg)
			}
			os.Exit(ec.ExitCode())
		}
		fmt.Fprintf(os.Stderr, "%s %s: %v\n", program, c.Name, err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "%s: unknown command %q\n\n", program, os.Args[1])
	usage(os.Stderr, program, epilogue, commands)
	os.Exit(2)
}

// NewFlags makes a flag set of a program's subcommand whose errors are
// returned, not fatal.
func NewFlags(program, name, usageLine string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: %s %s\n", program, usageLine)
		fs.PrintDefaults()
	}
	return fs
}

// ClientFlags are the API's address and a bearer token, from the
// environment unless given.
func ClientFlags(fs interface {
	String(name, value, usage string) *string
}) (server, token *string) {
	server = fs.String("server", EnvOr("TRUSTGATE_SERVER", "http://localhost:8080"), "trustgate API base URL (env TRUSTGATE_SERVER)")
	token = fs.String("token", os.Getenv("TRUSTGATE_TOKEN"), "bearer token (env TRUSTGATE_TOKEN)")
	return server, token
}

// EnvOr is the environment variable name, or def when it is unset or empty.
func EnvOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// WaitFor polls done every so often until it is true, fails, or ctx ends.
func WaitFor(ctx context.Context, every time.Duration, done func() (bool, error)) error {
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
