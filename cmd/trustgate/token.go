package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"trustgate/internal/app"
	"trustgate/internal/store"
	"trustgate/server"
)

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

const tokenUsage = "usage: trustgate token create --role ROLE --subject NAME [--developer ID] [--conflict ORG_ID] [--expires 30d] | token list | token revoke ID"

func runToken(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return &exitError{code: 2, msg: tokenUsage}
	}
	switch args[0] {
	case "create":
	case "list", "revoke":
		return runTokenAdmin(ctx, args, stdout)
	default:
		return &exitError{code: 2, msg: tokenUsage}
	}
	fs := newFlags("token create", "token create --role ROLE --subject NAME [--developer ID] [--conflict ORG_ID] [--expires 30d]")
	role := fs.String("role", "", "one of "+strings.Join(server.Roles, ", "))
	subject := fs.String("subject", "", "who the token is for")
	developer := fs.String("developer", "", "developer ID (developer tokens only)")
	expires := fs.String("expires", "", "lifetime such as 30d or 12h; empty never expires")
	var conflicts stringList
	fs.Var(&conflicts, "conflict", "organisation this staff token must not review (repeatable)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if !slices.Contains(server.Roles, *role) || *subject == "" {
		return &exitError{code: 2, msg: "token create needs --role (" + strings.Join(server.Roles, ", ") + ") and --subject"}
	}
	if (*role == server.RoleDeveloper) != (*developer != "") {
		return &exitError{code: 2, msg: "--developer is required for, and only for, developer tokens"}
	}
	t := store.Token{Role: *role, Subject: *subject, ConflictOrgs: conflicts}
	if *developer != "" {
		t.DeveloperID = developer
	}
	if *expires != "" {
		d, err := parseLifetime(*expires)
		if err != nil {
			return &exitError{code: 2, msg: err.Error()}
		}
		at := time.Now().Add(d)
		t.ExpiresAt = &at
	}
	st, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	secret, err := st.CreateToken(ctx, t)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, secret)
	return nil
}

// parseLifetime reads Go durations plus a day suffix ("30d").
func parseLifetime(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("--expires: %q is not a number of days", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("--expires: %q is not a lifetime such as 30d or 12h", s)
	}
	return d, nil
}

// runTokenAdmin lists tokens (never their secrets) or revokes one by the ID
// the list shows.
func runTokenAdmin(ctx context.Context, args []string, stdout io.Writer) error {
	if args[0] == "revoke" && len(args) != 2 {
		return &exitError{code: 2, msg: tokenUsage}
	}
	st, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if args[0] == "revoke" {
		if err := st.RevokeTokenByID(ctx, args[1]); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "revoked", args[1])
		return nil
	}
	rows, err := st.ListTokens(ctx)
	if err != nil {
		return err
	}
	for _, r := range rows {
		state := "active"
		switch {
		case r.RevokedAt != nil:
			state = "revoked"
		case r.ExpiresAt != nil && r.ExpiresAt.Before(time.Now()):
			state = "expired"
		}
		fmt.Fprintf(stdout, "%s  %-16s %-24s %-8s created %s\n", r.ID, r.Role, r.Subject, state, r.CreatedAt.Format(time.RFC3339))
	}
	return nil
}

// openStore connects the operator tools to the configured database.
func openStore(ctx context.Context) (*store.Store, error) {
	cfg, err := app.LoadConfig()
	if err != nil {
		return nil, err
	}
	if cfg.DatabaseURL == "" {
		return nil, errors.New("DATABASE_URL is not set")
	}
	return store.Open(ctx, cfg.DatabaseURL)
}
