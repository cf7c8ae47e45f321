package console

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"trustgate/internal/store"
)

// A flow is shown once, from the submission's stored flows, with its
// steps and its unregistered recipient; a finding's flow that is not among
// them is shown too.
func TestSubmissionFlowsMergesFindingsAndDecisionInput(t *testing.T) {
	t.Parallel()
	flow := `{"source":{"api":"wx.getLocation","kind":"location","file":"pages/shop/index.js","line":6},
		"sink":{"api":"wx.request","file":"utils/api.js","line":4,"endpoint":"api.shop.example","scheme":"https"}`
	steps := `"steps":[{"file":"pages/shop/index.js","line":9},{"file":"utils/api.js","line":4}]`
	stored := json.RawMessage(`[` + flow + `,` + steps + `,"off_device":true,"registered":false}]`)
	other := `{"source":{"api":"wx.getPhoneNumber","kind":"phone","file":"pages/me.js","line":3},"sink":{"api":"wx.setClipboardData","file":"pages/me.js","line":5},"steps":[]}`
	findings := []finding{
		{Finding: store.Finding{RuleID: "PRIV-001", Evidence: json.RawMessage(`{"flow":` + flow + `,` + steps + `}}`)}},
		{Finding: store.Finding{RuleID: "PRIV-003", Evidence: json.RawMessage(`{"flow":` + other + `}`)}},
		{Finding: store.Finding{RuleID: "CODE-013"}},
	}
	got := submissionFlows(stored, findings)
	require.Len(t, got, 2)
	require.Equal(t, "phone", got[1].Kind)
	require.False(t, got[1].Unregistered)
	require.Equal(t, "location", got[0].Kind)
	require.Equal(t, []place{{"pages/shop/index.js", 9}, {"utils/api.js", 4}}, got[0].Steps)
	require.Equal(t, place{"utils/api.js", 4}, got[0].Sink)
	require.True(t, got[0].Unregistered)
}
