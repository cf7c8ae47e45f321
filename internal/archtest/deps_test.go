package archtest

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "trustgate"

// rule forbids a package, with everything it links, to depend on the
// packages a prefix names; leafOnly lets a package use its own
// subpackages and nothing else of ours.
type rule struct {
	pkg      string
	why      string
	forbid   []string
	leafOnly bool // nothing of ours but its own subpackages
}

// rules are the arrows of docs/architecture.md.
var rules = []rule{
	{pkg: "trustgate/scan", why: "the scanner is a library of its own", leafOnly: true},
	{pkg: "trustgate/policies", why: "the policy engine is a library of its own", leafOnly: true},
	{pkg: "trustgate/workflows", why: "workflows know the activities' contract, not their implementation",
		forbid: []string{
			"trustgate/activities", "trustgate/internal/store", "trustgate/scan", "trustgate/server",
			"github.com/jackc/pgx", "github.com/gin-gonic/gin", "github.com/dop251/goja", "github.com/zricethezav/gitleaks",
		}},
	{pkg: "trustgate/server", why: "the API starts workflows and reads the store (and checks what it receives with scan); it does not run activities",
		forbid: []string{"trustgate/activities"}},
}

func TestDependencyArrows(t *testing.T) {
	t.Parallel()
	for _, r := range rules {
		t.Run(r.pkg, func(t *testing.T) {
			t.Parallel()
			bad := violations(t, r)
			require.Empty(t, bad, "%s must not depend on these (%s); see docs/architecture.md", r.pkg, r.why)
		})
	}
}

// TestArrowsCanFail keeps the check honest: an arrow that does exist
// (activities use the store and the scanner) is reported.
func TestArrowsCanFail(t *testing.T) {
	t.Parallel()
	bad := violations(t, rule{pkg: "trustgate/activities", forbid: []string{"trustgate/internal/store", "github.com/jackc/pgx"}})
	require.Contains(t, bad, "trustgate/internal/store")
	require.Contains(t, bad, "github.com/jackc/pgx/v5")
	require.NotEmpty(t, violations(t, rule{pkg: "trustgate/activities", leafOnly: true}))
}

// violations lists the dependencies of r.pkg (its own and its subpackages'
// builds, tests excluded) that r forbids.
func violations(t *testing.T, r rule) []string {
	t.Helper()
	var bad []string
	for _, dep := range deps(t, r.pkg+"/...") {
		if dep == r.pkg || strings.HasPrefix(dep, r.pkg+"/") {
			continue
		}
		if r.leafOnly && (dep == module || strings.HasPrefix(dep, module+"/")) {
			bad = append(bad, dep)
		}
		for _, f := range r.forbid {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				bad = append(bad, dep)
			}
		}
	}
	return bad
}

// deps is what `go list -deps` says the pattern links.
func deps(t *testing.T, pattern string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", pattern).Output()
	if ee, ok := err.(*exec.ExitError); ok {
		t.Fatalf("go list -deps %s: %v\n%s", pattern, err, ee.Stderr)
	}
	require.NoError(t, err, "go list -deps %s", pattern)
	return strings.Fields(string(out))
}
