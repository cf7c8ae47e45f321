package activities

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"trustgate/policies"
	"trustgate/workflows"
)

// The scan reads the declaration the submission was sent with and keeps
// its flows, the same ones however often it runs, judged against the
// app's domains; the decision gets flows and declaration as input.
func TestScanKeepsFlowsAndTheDecisionReadsThem(t *testing.T) {
	ctx := t.Context()
	f := newScanFixture(t, "sub_near", map[string]string{
		"app.json":            `{"pages":["pages/index/index"],"requiredPrivateInfos":["getLocation"]}`,
		"project.config.json": `{"appid":"wx0123456789abcdef"}`,
		"pages/index/index.js": `Page({ onLoad() { wx.getLocation({ success(res) {
  wx.request({ url: 'https://api.near.example/at', data: { lat: res.latitude } })
} }) } })`,
		"pages/index/index.wxml": `<view>near</view>`,
	}, []string{"api.near.example"},
		`{"items":[{"kind":"phone","purpose":"log in"}]}`)
	db, conn, a, env := f.db, f.conn, f.a, f.env
	var flows [2]json.RawMessage
	for i := range flows {
		_, err := env.ExecuteActivity(a.ScanPackage, workflows.ScanInput{SubmissionID: "sub_near"})
		require.NoError(t, err)
		p, err := db.Store.GetSubmissionPrivacy(ctx, "sub_near")
		require.NoError(t, err)
		flows[i] = p.Flows
	}
	require.JSONEq(t, string(flows[0]), string(flows[1]), "a second scan leaves the flows of one")
	var stored []storedFlow
	require.NoError(t, json.Unmarshal(flows[0], &stored))
	require.Len(t, stored, 1)
	assert.Equal(t, "location", stored[0].Source.Kind)
	assert.Equal(t, "api.near.example", stored[0].Sink.Endpoint)
	assert.True(t, stored[0].OffDevice)
	assert.True(t, stored[0].Registered)

	profile, err := a.LoadDeveloper(ctx, workflows.ProfileInput{SubmissionID: "sub_near"})
	require.NoError(t, err)
	v, err := a.Decide(ctx, workflows.DecideInput{SubmissionID: "sub_near", Attempt: 1, Profile: profile, Now: time.Now().UTC()})
	require.NoError(t, err)
	require.Equal(t, policies.OutcomeReject, v.Outcome)
	require.Equal(t, "PRIVACY_UNDECLARED", v.Reasons[0].Code, "reasons: %+v", v.Reasons)
	var input policies.Input
	var raw []byte
	require.NoError(t, conn.QueryRow(ctx, `SELECT input FROM decisions WHERE submission_id = 'sub_near'`).Scan(&raw))
	require.NoError(t, json.Unmarshal(raw, &input))
	assert.True(t, input.Privacy.Declared)
	assert.Contains(t, input.Privacy.Items, "phone")
	require.Len(t, input.Flows, 1)
	assert.Equal(t, "pages/index/index.js", input.Flows[0].Source.File)
}
