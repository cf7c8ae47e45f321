package scan

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite generated files (docs/rules.md)")

func TestRulesDoc(t *testing.T) {
	t.Parallel()
	path := filepath.Join("..", "docs", "rules.md")
	want := RulesMarkdown()
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(want), 0o644))
	}
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, want, string(got), "docs/rules.md is out of date; run: go test ./scan -run TestRulesDoc -update")
}

// TestSARIFStructure checks the log against the parts of the SARIF 2.1.0
// schema a consumer relies on. No JSON-schema validator is available to
// this module, so the required properties are checked by hand: version,
// runs[].tool.driver.name, results[].message.text, ruleId and ruleIndex
// agreeing with driver.rules, levels from the schema's enumeration, and
// regions with 1-based lines.
func TestSARIFStructure(t *testing.T) {
	t.Parallel()
	rep := rulesFixture(t, "wechat-rules", PlatformWeChat)
	raw, err := json.Marshal(rep.SARIF())
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc))

	require.Equal(t, "2.1.0", doc["version"])
	require.NotEmpty(t, doc["$schema"])
	runs := doc["runs"].([]any)
	require.Len(t, runs, 1)
	run := runs[0].(map[string]any)
	driver := run["tool"].(map[string]any)["driver"].(map[string]any)
	require.Equal(t, "trustgate", driver["name"])
	rules := driver["rules"].([]any)
	require.Len(t, rules, len(Rules()))
	for _, r := range rules {
		rule := r.(map[string]any)
		require.NotEmpty(t, rule["id"])
		require.Contains(t, []any{"none", "note", "warning", "error"}, rule["defaultConfiguration"].(map[string]any)["level"])
	}
	results := run["results"].([]any)
	require.Len(t, results, len(rep.Findings))
	for _, r := range results {
		res := r.(map[string]any)
		require.NotEmpty(t, res["message"].(map[string]any)["text"])
		idx := int(res["ruleIndex"].(float64))
		require.Equal(t, rules[idx].(map[string]any)["id"], res["ruleId"])
		require.Contains(t, []any{"none", "note", "warning", "error"}, res["level"])
		for _, l := range res["locations"].([]any) {
			phys := l.(map[string]any)["physicalLocation"].(map[string]any)
			require.NotEmpty(t, phys["artifactLocation"].(map[string]any)["uri"])
			if region, ok := phys["region"].(map[string]any); ok {
				require.GreaterOrEqual(t, region["startLine"].(float64), 1.0)
			}
		}
	}
}
