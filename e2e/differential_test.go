package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"trustgate/policies"
)

// TestEvaluatorsThatDifferOnARecordedInputBlockActivation drafts a bundle
// and takes it through validation, tests, simulation and approval on an API
// whose plan machine decides one recorded input differently from OPA's
// evaluator: validation reports the input and the part of the decision, and
// activation is refused, until the evaluators agree.
func TestEvaluatorsThatDifferOnARecordedInputBlockActivation(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	drafter, approver := s.demo.Tokens["compliance"], s.demo.Tokens["compliance-2"]
	token, appID := s.demoDeveloper(t, "ent-differential", "enterprise", 800, "tools")
	recorded := s.submitAndSettle(t, token, appID, "recorded")
	require.Equal(t, "approved", string(recorded.State))

	// The same stack, but the API's plan machine rejects what was recorded.
	api := s.svc.NewServer()
	api.Evaluators = func(e *policies.Engine) (policies.Evaluators, bool) {
		ev, ok := e.Evaluators()
		plan := ev.Plan
		ev.Plan = func(ctx context.Context, in policies.Input) (policies.Decision, error) {
			d, err := plan(ctx, in)
			if in.Submission.ID == recorded.ID {
				d = policies.Decision{Outcome: policies.OutcomeReject, Reasons: []policies.Reason{{Code: "PLAN_ONLY", Message: "only the plan says so"}}}
			}
			return d, err
		}
		return ev, ok
	}
	differs := httptest.NewServer(api.Handler())
	t.Cleanup(differs.Close)
	skewed := &stack{url: differs.URL}

	var draft policyAnswerT
	resp := s.call(t, "POST", "/v1/policies", drafter, strings.NewReader(`{"from":"active"}`), jsonHeader, &draft)
	require.Equal(t, http.StatusCreated, resp.StatusCode)

	var p problemT
	resp = skewed.call(t, "POST", "/v1/policies/"+draft.ID+"/validate", drafter, nil, nil, &p)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
	assert.Equal(t, "/problems/evaluators-differ", p.Type)
	var fields []string
	for _, e := range p.Errors {
		fields = append(fields, e.Field)
		assert.Contains(t, e.Field, "submission "+recorded.ID, "the difference names the recorded input")
	}
	require.Len(t, fields, 2, "%v", p.Errors)
	assert.Contains(t, fields[0], ": outcome")
	assert.Contains(t, fields[1], ": reason PLAN_ONLY")
	assert.Contains(t, p.Errors[0].Message, "plan machine: reject; OPA: approve")

	var kept struct {
		Validation struct {
			OK         bool                         `json:"ok"`
			Evaluators *policies.DifferentialReport `json:"evaluators"`
		} `json:"validation"`
	}
	require.Equal(t, http.StatusOK, s.call(t, "GET", "/v1/policies/"+draft.ID, drafter, nil, nil, &kept).StatusCode)
	assert.False(t, kept.Validation.OK, "the draft keeps the failed validation")
	require.NotNil(t, kept.Validation.Evaluators)
	assert.Equal(t, 1, kept.Validation.Evaluators.Diverged)

	// Tests, simulation and approval do not compare evaluators; activation does.
	require.Equal(t, http.StatusOK, s.call(t, "POST", "/v1/policies/"+draft.ID+"/test", drafter, nil, nil, nil).StatusCode)
	resp = s.call(t, "POST", "/v1/policies/"+draft.ID+"/simulate", drafter, strings.NewReader(`{"last": 10}`), jsonHeader, nil)
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	job := s.awaitSimulation(t, drafter, resp.Header.Get("Location"))
	require.Equal(t, "succeeded", job.State, job.Error)
	require.Equal(t, http.StatusOK, s.call(t, "POST", "/v1/policies/"+draft.ID+"/approve", approver, nil, nil, nil).StatusCode)

	p = problemT{}
	resp = skewed.call(t, "POST", "/v1/policies/"+draft.ID+"/activate", drafter, nil, nil, &p)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, "%+v", p)
	assert.Equal(t, "/problems/evaluators-differ", p.Type)
	require.NotEmpty(t, p.Errors)
	assert.Contains(t, p.Errors[0].Field, "submission "+recorded.ID)
	var active policyAnswerT
	require.Equal(t, http.StatusOK, s.call(t, "GET", "/v1/policies/active", drafter, nil, nil, &active).StatusCode)
	assert.NotEqual(t, draft.ID, active.ID, "the refused version does not decide")

	// With the evaluators as they are, they agree and the version activates.
	var activated policyAnswerT
	require.Equal(t, http.StatusOK, s.call(t, "POST", "/v1/policies/"+draft.ID+"/activate", drafter, nil, nil, &activated).StatusCode)
	assert.Equal(t, "active", activated.State)
}
