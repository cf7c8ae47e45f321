package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"trustgate/activities"
)

// simulationOptions give a simulation time to read and evaluate a hundred
// thousand decisions, and notice a dead worker within a minute through
// missed heartbeats; the activity then starts again on another worker.
var simulationOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 30 * time.Minute,
	HeartbeatTimeout:    time.Minute,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:        time.Second,
		MaximumAttempts:        3,
		NonRetryableErrorTypes: []string{activities.ErrTypeMissingRecord},
	},
}

// SimulatePolicyWorkflow runs one simulation of a policy version against
// recorded decisions. Its workflow ID is the simulation ID, so that any API
// replica finds it; its progress and report are in the database. When the
// simulation cannot finish, the job says why instead of staying "running".
func SimulatePolicyWorkflow(ctx workflow.Context, in activities.SimulateInput) (activities.SimulationSummary, error) {
	var summary activities.SimulationSummary
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, simulationOptions), a.SimulatePolicy, in).Get(ctx, &summary)
	if err == nil {
		return summary, nil
	}
	abandon := activities.AbandonSimulationInput{SimulationID: in.SimulationID, Error: "the simulation could not run: " + err.Error()}
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, ReviewConfig{}.stepOptions()), a.AbandonSimulation, abandon).Get(ctx, nil); err != nil {
		return activities.SimulationSummary{}, err
	}
	return activities.SimulationSummary{State: "failed", Error: abandon.Error}, nil
}
