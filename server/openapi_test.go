package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"trustgate/scan"
)

// The route table is the truth: these tests fail when a route is added
// without its description in openapi.yaml and docs/roles.md, and when
// either describes a route or roles the table does not have.

// documentedOp is what the tests read of one OpenAPI operation.
type documentedOp struct {
	OperationID string                          `yaml:"operationId"`
	Summary     string                          `yaml:"summary"`
	Roles       []string                        `yaml:"x-roles"`
	Security    []map[string][]string           `yaml:"security"`
	Responses   map[string]map[string]yaml.Node `yaml:"responses"`
}

var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

var ginParam = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)

// openAPIPath writes a gin path in OpenAPI form: /v1/apps/:id → /v1/apps/{id}.
func openAPIPath(ginPath string) string {
	return ginParam.ReplaceAllString(ginPath, "{$1}")
}

func routeKey(method, path string) string { return strings.ToUpper(method) + " " + path }

// documentedOps returns the document's operations keyed by "METHOD /path".
func documentedOps(t *testing.T) map[string]documentedOp {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]yaml.Node `yaml:"paths"`
	}
	require.NoError(t, yaml.Unmarshal(openAPI, &doc), "openapi.yaml does not parse")
	ops := map[string]documentedOp{}
	for path, item := range doc.Paths {
		for method, node := range item {
			if !slices.Contains(openAPIMethods, method) {
				continue // parameters, summary and the like of a path item
			}
			var op documentedOp
			require.NoError(t, node.Decode(&op), "operation %s %s", method, path)
			ops[routeKey(method, path)] = op
		}
	}
	return ops
}

// openAPITree is the document as plain maps and slices, for $ref lookups.
func openAPITree(t *testing.T) map[string]any {
	t.Helper()
	var tree map[string]any
	require.NoError(t, yaml.Unmarshal(openAPI, &tree), "openapi.yaml does not parse")
	return tree
}

// resolveRef follows a local JSON pointer ("#/components/schemas/App").
func resolveRef(tree map[string]any, ref string) (any, error) {
	pointer, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("%q is not a reference into this document", ref)
	}
	var node any = tree
	for _, tok := range strings.Split(pointer, "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch n := node.(type) {
		case map[string]any:
			next, ok := n[tok]
			if !ok {
				return nil, fmt.Errorf("%q: no %q", ref, tok)
			}
			node = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n) {
				return nil, fmt.Errorf("%q: no index %q", ref, tok)
			}
			node = n[i]
		default:
			return nil, fmt.Errorf("%q: %q is inside a scalar", ref, tok)
		}
	}
	return node, nil
}

// collectRefs lists every $ref value in the tree.
func collectRefs(node any, refs map[string]bool) {
	switch n := node.(type) {
	case map[string]any:
		for k, v := range n {
			if s, ok := v.(string); ok && k == "$ref" {
				refs[s] = true
				continue
			}
			collectRefs(v, refs)
		}
	case []any:
		for _, v := range n {
			collectRefs(v, refs)
		}
	}
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	ops := documentedOps(t)

	t.Run("declares OpenAPI 3.1.0", func(t *testing.T) {
		t.Parallel()
		var doc struct {
			OpenAPI string `yaml:"openapi"`
		}
		require.NoError(t, yaml.Unmarshal(openAPI, &doc))
		assert.Equal(t, "3.1.0", doc.OpenAPI)
	})

	for _, rt := range routes {
		key := routeKey(rt.method, openAPIPath(rt.path))
		t.Run("route "+key+" is documented with its roles", func(t *testing.T) {
			t.Parallel()
			op, ok := ops[key]
			require.True(t, ok, "%s (route %s %s) is missing from openapi.yaml", key, rt.method, rt.path)
			assert.NotEmpty(t, op.Summary, "summary")
			assert.NotEmpty(t, op.OperationID, "operationId")
			if rt.roles == nil {
				assert.Empty(t, op.Roles, "a public route has no x-roles")
				assert.Empty(t, op.Security, "a public route needs no token: security: []")
				return
			}
			assert.ElementsMatch(t, rt.roles, op.Roles, "x-roles must be the route table's roles")
			require.Len(t, op.Security, 1, "security")
			assert.Contains(t, op.Security[0], "bearerAuth", "security")
			assert.Contains(t, op.Responses, "401", "an authenticated route answers 401 without a token")
		})
	}

	t.Run("every documented operation is a route", func(t *testing.T) {
		t.Parallel()
		inTable := map[string]bool{}
		for _, rt := range routes {
			inTable[routeKey(rt.method, openAPIPath(rt.path))] = true
		}
		for key := range ops {
			assert.True(t, inTable[key], "openapi.yaml documents %s, which the route table does not have", key)
		}
	})

	t.Run("operation IDs are unique", func(t *testing.T) {
		t.Parallel()
		seen := map[string]string{}
		for key, op := range ops {
			if prev, ok := seen[op.OperationID]; ok {
				t.Errorf("operationId %q is used by %s and %s", op.OperationID, prev, key)
			}
			seen[op.OperationID] = key
		}
	})
}

func TestOpenAPIReferencesResolve(t *testing.T) {
	t.Parallel()
	tree := openAPITree(t)
	refs := map[string]bool{}
	collectRefs(tree, refs)
	require.NotEmpty(t, refs, "the document should share its schemas through $ref")
	for ref := range refs {
		t.Run(ref, func(t *testing.T) {
			t.Parallel()
			_, err := resolveRef(tree, ref)
			assert.NoError(t, err)
		})
	}
}

// Every error answer goes through fail, so every documented error must be a
// problem document.
func TestOpenAPIErrorsAreProblems(t *testing.T) {
	t.Parallel()
	tree := openAPITree(t)
	for key, op := range documentedOps(t) {
		for status := range op.Responses {
			code, err := strconv.Atoi(status)
			require.NoError(t, err, "%s: response %q is not a status code", key, status)
			if code < 400 {
				continue
			}
			t.Run(key+" "+status, func(t *testing.T) {
				t.Parallel()
				node := op.Responses[status]
				resp := map[string]any{}
				if ref := node["$ref"]; ref.Value != "" {
					r, err := resolveRef(tree, ref.Value)
					require.NoError(t, err)
					resp, _ = r.(map[string]any)
				} else {
					for k, v := range node {
						var decoded any
						require.NoError(t, v.Decode(&decoded))
						resp[k] = decoded
					}
				}
				content, _ := resp["content"].(map[string]any)
				problem, ok := content["application/problem+json"].(map[string]any)
				require.True(t, ok, "content is not application/problem+json")
				schema, _ := problem["schema"].(map[string]any)
				assert.Equal(t, "#/components/schemas/Problem", schema["$ref"])
			})
		}
	}
}

func TestOpenAPIIsServed(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	(&Server{}).Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi.yaml", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "application/yaml", rec.Header().Get("Content-Type"))
	assert.Equal(t, string(openAPI), rec.Body.String())
}

// roleRows reads the route table of docs/roles.md: rows of method, path and
// roles, where "public" stands for no roles.
func roleRows(t *testing.T, doc string) map[string][]string {
	t.Helper()
	rows := map[string][]string{}
	for _, line := range strings.Split(doc, "\n") {
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		if !strings.HasPrefix(strings.TrimSpace(line), "|") || len(cells) < 3 {
			continue
		}
		for i := range cells {
			cells[i] = strings.Trim(strings.TrimSpace(cells[i]), "`")
		}
		if !slices.Contains(openAPIMethods, strings.ToLower(cells[0])) {
			continue // the header or the separator row
		}
		key := routeKey(cells[0], cells[1])
		require.NotContains(t, rows, key, "docs/roles.md lists %s twice", key)
		var roles []string
		if cells[2] != "public" {
			for _, r := range strings.Split(cells[2], ",") {
				roles = append(roles, strings.TrimSpace(r))
			}
		}
		rows[key] = roles
	}
	return rows
}

func TestRolesDocCoversRoutes(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../docs/roles.md")
	require.NoError(t, err)
	doc := string(raw)
	rows := roleRows(t, doc)

	for _, rt := range routes {
		key := routeKey(rt.method, openAPIPath(rt.path))
		t.Run("route "+key+" is in docs/roles.md with its roles", func(t *testing.T) {
			t.Parallel()
			roles, ok := rows[key]
			require.True(t, ok, "docs/roles.md misses %s", key)
			if rt.roles == nil {
				assert.Empty(t, roles, "a public route is written public")
				return
			}
			assert.ElementsMatch(t, rt.roles, roles)
		})
	}

	t.Run("every listed route is in the route table", func(t *testing.T) {
		t.Parallel()
		inTable := map[string]bool{}
		for _, rt := range routes {
			inTable[routeKey(rt.method, openAPIPath(rt.path))] = true
		}
		var extra []string
		for key := range rows {
			if !inTable[key] {
				extra = append(extra, key)
			}
		}
		sort.Strings(extra)
		assert.Empty(t, extra, "docs/roles.md lists routes the table does not have")
	})

	t.Run("every role has a section", func(t *testing.T) {
		t.Parallel()
		for _, role := range Roles {
			assert.Contains(t, doc, "\n### "+role+"\n", "docs/roles.md has no section for %s", role)
		}
	})
}

// The declaration's schema in the API description is the scanner's, which
// is the one ParsePrivacyDeclaration is held to; the upload names its parts.
func TestOpenAPIPrivacyDeclarationIsTheScannersSchema(t *testing.T) {
	t.Parallel()
	var doc struct {
		Components struct {
			Schemas map[string]any `yaml:"schemas"`
		} `yaml:"components"`
	}
	require.NoError(t, yaml.Unmarshal(openAPI, &doc))
	var want map[string]any
	require.NoError(t, json.Unmarshal(scan.PrivacyDeclarationSchema, &want))
	delete(want, "$schema")
	got, err := json.Marshal(doc.Components.Schemas["PrivacyDeclaration"])
	require.NoError(t, err)
	wantJSON, err := json.Marshal(want)
	require.NoError(t, err)
	assert.JSONEq(t, string(wantJSON), string(got))

	upload, _ := doc.Components.Schemas["SubmissionUpload"].(map[string]any)
	props, _ := upload["properties"].(map[string]any)
	assert.Contains(t, props, "privacy")
	assert.Contains(t, props, "privacy_policy")
}
