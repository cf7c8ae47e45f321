package workflows

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// TestReplayRecordedHistories replays histories recorded from real runs on
// the dev server (see e2e/history_test.go). A change to a
// workflow that running workflows could not survive fails here; guard it
// with workflow.GetVersion instead.
func TestReplayRecordedHistories(t *testing.T) {
	t.Parallel()
	for _, f := range recordedHistories(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			h := loadHistory(t, f)
			r := worker.NewWorkflowReplayer()
			for _, wf := range Registered() {
				r.RegisterWorkflow(wf)
			}
			// Under its recorded ID, as a worker replays it: a takedown's
			// task IDs are made from its workflow ID, and the recorded
			// Updates name those tasks.
			started := h.Events[0].GetWorkflowExecutionStartedEventAttributes()
			require.NotEmpty(t, started.GetWorkflowId(), "%s names its workflow", f)
			require.NoError(t, r.ReplayWorkflowHistoryWithOptions(nil, h, worker.ReplayWorkflowHistoryOptions{
				OriginalExecution: workflow.Execution{ID: started.GetWorkflowId(), RunID: started.GetOriginalExecutionRunId()},
			}))
		})
	}
}

// TestEveryWorkflowHasARecordedHistory keeps the replay test complete: a
// workflow the worker runs without a recorded history would be changed
// with nothing to catch a break in determinism.
func TestEveryWorkflowHasARecordedHistory(t *testing.T) {
	t.Parallel()
	recorded := map[string][]string{}
	for _, f := range recordedHistories(t) {
		name := loadHistory(t, f).Events[0].GetWorkflowExecutionStartedEventAttributes().GetWorkflowType().GetName()
		recorded[name] = append(recorded[name], filepath.Base(f))
	}
	var registered []string
	for _, wf := range Registered() {
		name := workflowName(wf)
		registered = append(registered, name)
		require.NotEmpty(t, recorded[name], "%s has no recorded history in testdata; record one (docs/workflows.md)", name)
	}
	for name, files := range recorded {
		require.True(t, slices.Contains(registered, name), "%v record %s, which the worker does not run", files, name)
	}
}

func recordedHistories(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no recorded histories in testdata")
	return files
}

// workflowName is the type name Temporal registers a workflow function
// under: the function's name without its package.
func workflowName(wf any) string {
	full := runtime.FuncForPC(reflect.ValueOf(wf).Pointer()).Name()
	return full[strings.LastIndex(full, ".")+1:]
}

// loadHistory reads a recorded history, which starts with its workflow's
// start.
func loadHistory(t *testing.T, file string) *historypb.History {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	require.NoError(t, err, file)
	require.NotEmpty(t, h.Events, file)
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, h.Events[0].EventType, "%s starts with its workflow's start", file)
	return h
}

// The QA sample of an automatic approval is drawn once the approval is
// recorded: in a real run's history the draw (a side effect) comes after
// the decision and after the write that made the version live, so the
// developer can learn nothing of it before the decision, and the draw is
// kept for replay.
func TestQASampleIsDrawnAfterTheApprovalIsRecorded(t *testing.T) {
	t.Parallel()
	h := loadHistory(t, filepath.Join("testdata", "auto-approve.json"))
	decided, approved, drawn := -1, -1, -1
	for i, e := range h.Events {
		m := e.GetMarkerRecordedEventAttributes()
		if m == nil {
			continue
		}
		switch m.GetMarkerName() {
		case "SideEffect":
			require.Equal(t, -1, drawn, "one draw per approval")
			drawn = i
		case "LocalActivity":
			var step struct{ ActivityType string }
			require.NoError(t, json.Unmarshal(m.GetDetails()["data"].GetPayloads()[0].GetData(), &step))
			switch step.ActivityType {
			case "Decide":
				decided = i
			case "Advance":
				if decided >= 0 {
					approved = i
				}
			}
		}
	}
	require.GreaterOrEqual(t, decided, 0, "the history has the decision")
	require.Greater(t, approved, decided, "the approval is recorded after the decision")
	require.Greater(t, drawn, approved, "the QA draw comes after the recorded approval")
}
