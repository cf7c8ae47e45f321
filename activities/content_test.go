package activities

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"trustgate/internal/store"
	"trustgate/workflows"
)

// A lending advert written to slip past filters is a CONTENT finding whose
// evidence (category, terms, normalised text) is stored with it, and whose
// block score reaches the policy input of the decision: the decision log
// shows the score the policy saw, so a threshold on it can be replayed.
func TestContentScoreAndEvidenceReachTheDecision(t *testing.T) {
	ctx := t.Context()
	files := map[string]string{
		"app.json":                `{"pages":["pages/index/index"]}`,
		"project.config.json":     `{"appid":"wx0123456789abcdef"}`,
		"pages/index/index.js":    `Page({data: {}})`,
		"pages/index/index.wxml":  `<view class="ad">無抵押 秒批貸款，日息低至0.02%</view>`,
		"pages/index/index.wxss":  `.ad { color: red; }`,
		"pages/index/index.json":  `{"navigationBarTitleText":"首页"}`,
		"sitemap.json":            `{"rules":[{"action":"allow","page":"*"}]}`,
		"pages/index/helper.wxs":  `module.exports = {};`,
		"utils/format.js":         `module.exports = function (n) { return n.toFixed(2); };`,
		"pages/index/other.json":  `{}`,
		"pages/index/banner.wxml": `<text>欢迎光临</text>`,
	}
	f := newScanFixture(t, "sub_lending", files, nil, "")
	db, conn, a, env := f.db, f.conn, f.a, f.env
	_, err := env.ExecuteActivity(a.ScanPackage, workflows.ScanInput{SubmissionID: "sub_lending"})
	require.NoError(t, err)

	findings, err := db.Store.Findings(ctx, "sub_lending")
	require.NoError(t, err)
	var content *store.Finding
	for i, f := range findings {
		if strings.HasPrefix(f.RuleID, "CONTENT") {
			content = &findings[i]
		}
	}
	require.NotNil(t, content, "the lending advert is a CONTENT finding: %+v", findings)
	assert.Equal(t, "pages/index/index.wxml", content.File)
	assert.Positive(t, content.Score)
	var evidence struct {
		Content struct {
			Category   string   `json:"category"`
			Score      int      `json:"score"`
			Terms      []string `json:"terms"`
			Normalised string   `json:"normalised"`
		} `json:"content"`
	}
	require.NoError(t, json.Unmarshal(content.Evidence, &evidence))
	ev := evidence.Content
	assert.Equal(t, "lending", ev.Category)
	assert.Equal(t, content.Score, ev.Score)
	assert.NotEmpty(t, ev.Terms)
	assert.Contains(t, ev.Normalised, "贷款", "the evidence shows the text as the rules read it, folded to simplified")

	detail, err := db.Store.GetSubmissionDetail(ctx, "sub_lending")
	require.NoError(t, err)
	assert.Contains(t, string(mustJSON(t, detail.Findings)), `"category":"lending"`, "the submission's detail carries the evidence")

	profile, err := a.LoadDeveloper(ctx, workflows.ProfileInput{SubmissionID: "sub_lending"})
	require.NoError(t, err)
	_, err = a.Decide(ctx, workflows.DecideInput{SubmissionID: "sub_lending", Attempt: 1, Profile: profile, Now: time.Now().UTC()})
	require.NoError(t, err)
	var score int
	require.NoError(t, conn.QueryRow(ctx, `SELECT (f->>'score')::int FROM decisions, jsonb_array_elements(input->'findings') f
		WHERE submission_id = 'sub_lending' AND f->>'rule_id' = $1`, content.RuleID).Scan(&score))
	assert.Equal(t, content.Score, score, "the policy input carries the block's score")
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}
