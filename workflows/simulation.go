package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
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
		NonRetryableErrorTypes: []string{ErrTypeMissingRecord},
	},
}

// SimulatePolicyWorkflow runs one simulation of a policy version against
// recorded decisions. Its workflow ID is the simulation ID, so that any API
// replica finds it; its progress and report are in the database. When the
// simulation cannot finish, the job says why instead of staying "running".
func SimulatePolicyWorkflow(ctx workflow.Context, in SimulateInput) (SimulationSummary, error) {
	var summary SimulationSummary
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, simulationOptions), ActivitySimulatePolicy, in).Get(ctx, &summary)
	if err == nil {
		return summary, nil
	}
	abandon := AbandonSimulationInput{SimulationID: in.SimulationID, Error: "the simulation could not run: " + err.Error()}
	if err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, ReviewConfig{}.stepOptions()), ActivityAbandonSimulation, abandon).Get(ctx, nil); err != nil {
		return SimulationSummary{}, err
	}
	return SimulationSummary{State: "failed", Error: abandon.Error}, nil
}
