package scan

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// justifiedFlows lists every personal-data flow the real libraries are
// expected to have, each with the code that makes it real. A flow not
// listed fails the test: the analysis invented it, or it is real and must
// be argued for here.
var justifiedFlows = map[string]string{}

// The real component libraries hand personal data to nobody: what their
// components obtain (a chosen image, a typed value) goes back to the page
// as an event, which the analysis must not mistake for a flow.
func TestRealLibrariesHaveNoInventedFlows(t *testing.T) {
	t.Parallel()
	for _, app := range npmApps(t) {
		t.Run(app.name, func(t *testing.T) {
			t.Parallel()
			rep := scanWithBytes(t, app.zip, npmScanOptions(app.platform))
			for i, k := range flowKeys(rep) {
				_, ok := justifiedFlows[k]
				require.True(t, ok, "unjustified flow %s: %s", k, FlowPath(rep.Flows[i]))
			}
			t.Logf("%s: %d flows", app.name, len(rep.Flows))
		})
	}
}
