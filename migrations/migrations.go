// Package migrations holds trustgate's numbered SQL migrations. They are
// embedded in the binary and applied by `trustgate migrate` and at start-up,
// always as the owner role: the application role only gets the privileges
// that Grant hands out, so a bug in the application cannot alter the schema.
package migrations

import "embed"

// FS holds the numbered migrations, applied in order by goose.
//
//go:embed *.sql
var FS embed.FS
