package policies

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefaultBundleRegoTests(t *testing.T) {
	t.Parallel()
	report, err := RunTests(context.Background(), DefaultFiles())
	require.NoError(t, err)
	require.NotEmpty(t, report.Tests, "the default bundle must carry tests")
	for _, tr := range report.Tests {
		assert.True(t, tr.Pass, "%s (%s:%d): %s %s", tr.Name, tr.File, tr.Line, tr.Error, tr.Output)
	}
	assert.Zero(t, report.Failed)
	assert.GreaterOrEqual(t, report.Coverage, MinCoverage, "coverage per file: %v", report.Files)
	t.Logf("%d tests passed, coverage %.1f%% %v", report.Passed, report.Coverage, report.Files)
}
