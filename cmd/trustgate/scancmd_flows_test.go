package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// The scan command lists the personal-data flows: in JSON as a top-level
// "flows" list, in text as one short path per flow.
func TestScanCommandShowsFlows(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("..", "..", "scan", "testdata", "alipay-flows")
	var out bytes.Buffer
	require.NoError(t, runScan(context.Background(), []string{"--format", "json", "--fail-on", "none", dir}, &out))
	var rep struct {
		Flows []struct {
			Source struct{ API, Kind, File string }
			Sink   struct{ API, Endpoint string }
		} `json:"flows"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &rep))
	require.Len(t, rep.Flows, 3)
	require.Equal(t, "my.getLocation", rep.Flows[0].Source.API)
	require.Equal(t, "location", rep.Flows[0].Source.Kind)
	require.Equal(t, "api.nearby.example.com", rep.Flows[0].Sink.Endpoint)

	out.Reset()
	require.NoError(t, runScan(context.Background(), []string{"--fail-on", "none", dir}, &out))
	require.Contains(t, out.String(), "my.getLocation pages/index/index.js:3 → pages/index/index.js:5 → my.request api.nearby.example.com")
}
