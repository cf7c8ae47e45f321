// Package archtest holds the rules of which package may depend on which
// (docs/architecture.md) and the test that checks them with `go list -deps`.
package archtest
