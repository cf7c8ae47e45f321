package policies

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNoBuiltinReachesTheNetworkOrTheFiles runs every builtin that can reach
// the network or the file system through both evaluators, the plan machine
// and OPA's, and requires both to refuse: at compile time, by the restricted
// capabilities, or at evaluation with the same error. A local server counts
// requests, and a schema file beside it would change the answer if read, so
// the test needs no network and shows that nothing was fetched.
//
// The builtins are those of OPA's topdown package whose code opens a
// connection, resolves a name or reads a file or the environment (its
// files importing net/http, net or os): http.send (requests, and CA or
// client certificate files and variables), net.lookup_ip_addr (DNS),
// opa.runtime (environment and configuration), and json.match_schema and
// json.verify_schema (a schema's $ref is loaded over http(s) or from a
// file:// path, and a $id makes relative references resolve against a base
// of the author's choosing). io.jwt.* take their keys as arguments and
// fetch nothing, JWKS URLs included; verify_rs256 is run with one pointing
// at the server to show it. (io.jwt.decode_verify also reads the
// evaluation's clock; the plan machine is not proven on it, so OPA's
// evaluator decides a bundle that calls it.)
func TestNoBuiltinReachesTheNetworkOrTheFiles(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	count := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"type": "string"}`))
	})
	plain := httptest.NewServer(count)
	defer plain.Close()
	tls := httptest.NewTLSServer(count)
	defer tls.Close()
	dir := t.TempDir()
	// Read, this schema would make {} fail to match; refused, it is never
	// seen.
	schemaFile := filepath.Join(dir, "schema.json")
	require.NoError(t, os.WriteFile(schemaFile, []byte(`{"type": "string"}`), 0o600))

	tests := []struct {
		name string
		call string // with {plain} and {tls}, the servers' URLs, {file} the schema file and {dir} its folder
		// compileRefused: the restricted capabilities do not know the
		// builtin; otherwise both evaluators must fail with one error.
		compileRefused bool
		// wantError is in the evaluation's error.
		wantError string
	}{
		{name: "http.send", call: `http.send({"method": "GET", "url": "{plain}"})`, compileRefused: true},
		{name: "net.lookup_ip_addr", call: `net.lookup_ip_addr("localhost")`, compileRefused: true},
		{name: "opa.runtime", call: `opa.runtime()`, compileRefused: true},
		{name: "match_schema with an http $ref", call: `json.match_schema({}, {"$ref": "{plain}/schema.json"})`, wantError: "refused"},
		{name: "match_schema with an https $ref", call: `json.match_schema({}, {"$ref": "{tls}/schema.json"})`, wantError: "refused"},
		{name: "match_schema with a file $ref", call: `json.match_schema({}, {"$ref": "file://{file}"})`, wantError: "refused"},
		{name: "match_schema with a nested $ref", call: `json.match_schema({"a": 1}, {"properties": {"a": {"$ref": "{plain}/a.json"}}})`, wantError: "refused"},
		{name: "match_schema with a $id base", call: `json.match_schema({"a": 1}, {"$id": "{plain}/", "properties": {"a": {"$ref": "schema.json#"}}})`, wantError: "refused"},
		{name: "match_schema with a file $id base", call: `json.match_schema({"a": 1}, {"$id": "file://{dir}/", "properties": {"a": {"$ref": "#"}}})`, wantError: "refused"},
		{name: "match_schema with the schema as text", call: `json.match_schema({}, "{\"$ref\": \"{plain}/schema.json\"}")`, wantError: "refused"},
		{name: "verify_schema with an http $ref", call: `json.verify_schema({"$ref": "{plain}/schema.json"})`, wantError: "refused"},
		{name: "verify_schema with a file $ref", call: `json.verify_schema({"$ref": "file://{file}"})`, wantError: "refused"},
		{name: "verify_schema with the schema as text", call: `json.verify_schema("{\"$ref\": \"file://{file}\"}")`, wantError: "refused"},
		{name: "jwt verify_rs256 with a URL as key", call: `io.jwt.verify_rs256("eyJhbGciOiJSUzI1NiJ9.e30.c2ln", "{tls}/jwks.json")`, wantError: "failed to parse a JWK key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			call := strings.NewReplacer("{plain}", plain.URL, "{tls}", tls.URL, "{file}", schemaFile, "{dir}", dir).Replace(tt.call)
			engine, err := New(bundleWith(`probe := ` + call + `

decision := {"outcome": "approve", "reasons": []} if probe`))
			if tt.compileRefused {
				require.ErrorContains(t, err, "forbidden builtin")
				return
			}
			require.NoError(t, err)
			require.Equal(t, EvaluatorPlan, engine.Evaluator())
			ctx := context.Background()
			_, planErr := engine.evaluatePlanOnly(ctx, cleanInput())
			_, opaErr := engine.evaluateWithOPA(ctx, cleanInput())
			require.ErrorContains(t, planErr, tt.wantError)
			require.ErrorContains(t, opaErr, tt.wantError)
			// The same refusal, whichever evaluator met it; the plan's
			// error names the rule's plan function before it.
			require.True(t, strings.HasSuffix(planErr.Error(), opaErr.Error()[strings.Index(opaErr.Error(), "policy.rego"):]),
				"plan: %v\nOPA:  %v", planErr, opaErr)
			require.Zero(t, hits.Load(), "a builtin reached the local server")
		})
	}
	// The schema that only refers into itself still works in both.
	engine, err := New(bundleWith(`probe := json.match_schema({"a": "x"}, {"definitions": {"s": {"type": "string"}}, "properties": {"a": {"$ref": "#/definitions/s"}}})

decision := {"outcome": "approve", "reasons": []} if probe[0]`))
	require.NoError(t, err)
	for _, eval := range []func(context.Context, Input) (Decision, error){engine.evaluatePlanOnly, engine.evaluateWithOPA} {
		d, err := eval(context.Background(), cleanInput())
		require.NoError(t, err)
		require.Equal(t, OutcomeApprove, d.Outcome)
	}
}
