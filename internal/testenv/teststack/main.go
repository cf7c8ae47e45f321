// Command teststack starts the shared test stack (PostgreSQL and a Temporal
// dev server), runs the command after "--" with the stack's addresses in its
// environment, stops the stack and exits with the command's status.
//
//	go run ./internal/testenv/teststack -- go test ./...
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"trustgate/internal/testenv"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: teststack -- COMMAND [ARGS...]")
		os.Exit(2)
	}
	start := time.Now()
	// The servers' own output goes to a file: test output stays readable,
	// and the file is there when a server misbehaves.
	logFile, err := os.CreateTemp("", "trustgate-teststack-*.log")
	if err != nil {
		fmt.Fprintln(os.Stderr, "teststack:", err)
		os.Exit(1)
	}
	defer logFile.Close()
	s, err := testenv.Start(context.Background(), logFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "teststack:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "teststack: PostgreSQL and Temporal up in %s (their logs: %s)\n",
		time.Since(start).Round(time.Millisecond), logFile.Name())
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), s.Env()...)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		for range sig { // the child got the same signal from the terminal; wait for it
		}
	}()
	err = cmd.Run()
	s.Stop()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		os.Exit(exit.ExitCode())
	case err != nil:
		fmt.Fprintln(os.Stderr, "teststack:", err)
		os.Exit(1)
	}
}
