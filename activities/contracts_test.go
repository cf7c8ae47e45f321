package activities

import (
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"trustgate/workflows"
)

// TestEveryActivityTheWorkflowsCallIsRegistered registers the struct the
// way the worker does and asks Temporal's registry for every name the
// workflows call: a renamed method would otherwise be found only by a
// workflow stuck retrying "activity not registered".
func TestEveryActivityTheWorkflowsCallIsRegistered(t *testing.T) {
	t.Parallel()
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterActivity(&Activities{})
	for _, name := range workflows.ActivityNames() {
		require.NotPanics(t, func() { env.OnActivity(name, mock.Anything, mock.Anything) },
			"the worker registers no activity named %s", name)
	}
}
