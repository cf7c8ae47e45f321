package workflows

// Registered lists every workflow the worker runs. The worker registers
// exactly these, and the replay test requires a recorded history of each:
// a new workflow added here without one fails `make test`.
func Registered() []any {
	return []any{
		SubmissionWorkflow,
		ReevaluateDeveloperWorkflow,
		RecheckWorkflow,
		TakedownWorkflow,
		SimulatePolicyWorkflow,
	}
}
