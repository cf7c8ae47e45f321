package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"trustgate/internal/testenv"
)

// recordHistory waits for a workflow to finish and writes its history to
// the workflows package's testdata when TRUSTGATE_RECORD_HISTORIES=1, for
// its replay test: a later change to the workflow code that breaks
// determinism then fails `make test`. Histories are recorded on purpose,
// not on every run.
func recordHistory(t *testing.T, workflowID, name string) {
	t.Helper()
	if os.Getenv("TRUSTGATE_RECORD_HISTORIES") != "1" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := testenv.Temporal(t)
	// A path is recorded to its end: an answer to the last request can come
	// before the workflow has completed.
	closed := c.GetWorkflowHistory(ctx, workflowID, "", true, enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT)
	_, err := closed.Next()
	require.NoError(t, err, "%s did not finish", workflowID)
	iter := c.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	h := &historypb.History{}
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(t, err)
		h.Events = append(h.Events, ev)
	}
	b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join("..", "workflows", "testdata", name+".json"), b, 0o644))
}
