package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"trustgate/internal/testenv"
)

// recordHistory writes a finished workflow's history to the workflows
// package's testdata when TRUSTGATE_RECORD_HISTORIES=1, for its replay test:
// a later change to the workflow code that breaks determinism then fails
// `make test`. Histories are recorded on purpose, not on every run.
func recordHistory(t *testing.T, workflowID, name string) {
	t.Helper()
	if os.Getenv("TRUSTGATE_RECORD_HISTORIES") != "1" {
		return
	}
	ctx := context.Background()
	iter := testenv.Temporal(t).GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	h := &historypb.History{}
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(t, err)
		h.Events = append(h.Events, ev)
	}
	b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(h)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join("..", "..", "workflows", "testdata", name+".json"), b, 0o644))
}
