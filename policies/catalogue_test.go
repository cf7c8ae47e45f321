package policies

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bundleReasonCodes collects every reason code the policy files of a bundle
// can give, from their syntax: the string value of "code" in each object,
// and, where a function takes the code as an argument (payment_reason), the
// string passed at each call. A code built any other way cannot be checked
// against the catalogue and is listed in unchecked with its place, except a
// finding's rule ID (a ref ending in rule_id), which the catalogue describes
// as an unlisted code.
func bundleReasonCodes(t *testing.T, files map[string][]byte) (codes, unchecked []string) {
	t.Helper()
	b, err := parseBundle(files)
	require.NoError(t, err)
	type param struct {
		fn    string
		index int
	}
	var params []param
	place := func(term *ast.Term, rule *ast.Rule) string {
		if term.Location != nil {
			return fmt.Sprintf("%s:%d", term.Location.File, term.Location.Row)
		}
		return fmt.Sprintf("%s:%d", rule.Location.File, rule.Location.Row)
	}
	paths := slices.Sorted(maps.Keys(b.modules))
	for _, path := range paths {
		m := b.modules[path]
		if isTestFile(path) {
			continue
		}
		for _, rule := range m.Rules {
			ast.WalkTerms(rule, func(term *ast.Term) bool {
				obj, ok := term.Value.(ast.Object)
				if !ok {
					return false
				}
				code := obj.Get(ast.StringTerm("code"))
				if code == nil {
					return false
				}
				switch v := code.Value.(type) {
				case ast.String:
					codes = append(codes, string(v))
					return false
				case ast.Var:
					if i := slices.IndexFunc(rule.Head.Args, func(a *ast.Term) bool { return a.Value.Compare(v) == 0 }); i >= 0 {
						params = append(params, param{fn: rule.Head.Ref().String(), index: i})
						return false
					}
				case ast.Ref:
					if last := v[len(v)-1].Value; last.Compare(ast.String("rule_id")) == 0 {
						return false
					}
				}
				unchecked = append(unchecked, fmt.Sprintf("%s: code is %s", place(code, rule), code))
				return false
			})
		}
	}
	for _, path := range paths {
		m := b.modules[path]
		if isTestFile(path) {
			continue
		}
		pkg := m.Package.Path.String()
		for _, rule := range m.Rules {
			ast.WalkTerms(rule, func(term *ast.Term) bool {
				call, ok := term.Value.(ast.Call)
				if !ok {
					return false
				}
				name := call[0].String()
				for _, p := range params {
					if name != p.fn && name != pkg+"."+p.fn {
						continue
					}
					if p.index+1 >= len(call) {
						continue
					}
					if c, ok := call[1+p.index].Value.(ast.String); ok {
						codes = append(codes, string(c))
					} else {
						unchecked = append(unchecked, fmt.Sprintf("%s: %s is called with code %s", place(term, rule), p.fn, call[1+p.index]))
					}
				}
				return false
			})
		}
	}
	slices.Sort(codes)
	return slices.Compact(codes), unchecked
}

func catalogueCodes(source string) []string {
	var out []string
	for _, e := range catalogue.Codes {
		if e.Source == source {
			out = append(out, e.Code)
		}
	}
	slices.Sort(out)
	return out
}

// Every code the default bundle can give is in the catalogue as a bundle
// code, and every bundle code of the catalogue is one the bundle gives.
func TestCatalogueHoldsEveryCodeTheBundleGives(t *testing.T) {
	t.Parallel()
	codes, unchecked := bundleReasonCodes(t, DefaultFiles())
	require.Contains(t, codes, "CREDIT_BELOW_THRESHOLD", "the code walk found nothing")
	require.Contains(t, codes, "PAYMENT_QUALIFICATION_MISSING", "the code walk missed codes passed to a function")
	assert.Empty(t, unchecked, "reasons whose code is neither a string nor a finding's rule ID cannot be checked against the catalogue")
	assert.Equal(t, codes, catalogueCodes(sourceBundle), "the bundle's codes (left) and the catalogue's bundle codes (right) differ")
	assert.Equal(t, []string{CodePolicyError}, catalogueCodes(sourceEngine), "the engine gives one code of its own")
}

// The walk sees codes however a reason is built, and names the place of a
// code it cannot read.
func TestBundleReasonCodesFindsEveryForm(t *testing.T) {
	t.Parallel()
	codes, unchecked := bundleReasonCodes(t, bundleWith(`decision := {"outcome": "approve", "reasons": []}

reasons contains {"code": "LITERAL", "message": "m"} if input.a
reasons contains r if {
	input.b
	r := made("FROM_CALL", "m")
}
reasons contains {"code": f.rule_id, "message": "m"} if some f in input.findings
reasons contains {"code": concat("_", ["A", "B"]), "message": "m"} if input.c

made(code, message) := {"code": code, "message": message}
`))
	assert.Equal(t, []string{"FROM_CALL", "LITERAL"}, codes)
	require.Len(t, unchecked, 1)
	assert.Contains(t, unchecked[0], "policy.rego:11: code is concat(")
}

// exampleInput is a catalogue entry's example merged over an input the
// default bundle approves. Unknown fields are an error, so that a typo in an
// example does not pass as an input that happens to give the code.
func exampleInput(t *testing.T, example json.RawMessage) Input {
	t.Helper()
	base, err := json.Marshal(cleanInput())
	require.NoError(t, err)
	var doc, over map[string]any
	require.NoError(t, json.Unmarshal(base, &doc))
	require.NoError(t, json.Unmarshal(example, &over))
	mergeJSON(doc, over)
	merged, err := json.Marshal(doc)
	require.NoError(t, err)
	dec := json.NewDecoder(bytes.NewReader(merged))
	dec.DisallowUnknownFields()
	var in Input
	require.NoError(t, dec.Decode(&in), "example %s", example)
	return in
}

// mergeJSON sets over's fields in doc, objects field by field.
func mergeJSON(doc, over map[string]any) {
	for k, v := range over {
		if sub, ok := v.(map[string]any); ok {
			if into, ok := doc[k].(map[string]any); ok {
				mergeJSON(into, sub)
				continue
			}
		}
		doc[k] = v
	}
}

// The catalogue's English is the bundle's text: filled in from the evidence
// of the decision on the code's example, it reads word for word what the
// decision says. The evidence carries the keys the catalogue lists, and
// the Chinese text can be filled from it.
func TestCatalogueMatchesBundleText(t *testing.T) {
	t.Parallel()
	engine := mustDefault(t)
	for _, e := range catalogue.Codes {
		if e.Source != sourceBundle {
			continue
		}
		t.Run(e.Code, func(t *testing.T) {
			t.Parallel()
			in := exampleInput(t, e.Example)
			d := engine.Decide(context.Background(), in)
			i := slices.IndexFunc(d.Reasons, func(r Reason) bool { return r.Code == e.Code })
			require.GreaterOrEqual(t, i, 0, "the example of %s gives %s with %v", e.Code, d.Outcome, codes(d))
			r := d.Reasons[i]
			assert.True(t, strings.HasPrefix(e.Outcome, d.Outcome), "the catalogue says %s leads to %q; its example was decided %s", e.Code, e.Outcome, d.Outcome)
			assert.ElementsMatch(t, e.Evidence, slices.Collect(maps.Keys(r.Evidence)), "evidence keys")

			values := placeholderValues(r.Evidence, false)
			if len(in.Findings) > 0 {
				values["finding_message"] = in.Findings[0].Message
			}
			message, ok := fill(e.En.Message, values)
			require.True(t, ok, "cannot fill %q from %v", e.En.Message, values)
			remediation, ok := fill(e.En.Remediation, values)
			require.True(t, ok, "cannot fill %q from %v", e.En.Remediation, values)
			assert.Equal(t, r.Message, message)
			assert.Equal(t, r.Remediation, remediation)

			zh := Localize([]Reason{r}, "zh-CN")[0]
			assert.NotEqual(t, r.Message, zh.Message, "the Chinese message is not filled in")
			assert.NotEqual(t, r.Remediation, zh.Remediation, "the Chinese remediation is not filled in")
		})
	}
}

// The engine's fail-closed reason reads as the catalogue says.
func TestPolicyErrorReadsAsCatalogued(t *testing.T) {
	t.Parallel()
	r := policyError("v1", fmt.Errorf("boom")).Reasons[0]
	e := catalogue.byCode[CodePolicyError]
	assert.Equal(t, e.En.Message, r.Message)
	assert.Equal(t, e.En.Remediation, r.Remediation)
	assert.ElementsMatch(t, e.Evidence, slices.Collect(maps.Keys(r.Evidence)))
}

func TestReviewerCodesInBothLanguages(t *testing.T) {
	t.Parallel()
	en, zh := Catalogue("en-US"), Catalogue("zh-CN")
	if len(en) != len(zh) || len(en) == 0 {
		t.Fatalf("catalogue sizes differ: %d en, %d zh", len(en), len(zh))
	}
	for i := range en {
		if en[i].Code != zh[i].Code || en[i].Message == "" || zh[i].Message == "" || en[i].Message == zh[i].Message {
			t.Errorf("%s: missing or untranslated text", en[i].Code)
		}
	}
	reviewer := slices.IndexFunc(en, func(e CatalogueEntry) bool { return e.Code == "CONTENT_MISLEADING" })
	require.GreaterOrEqual(t, reviewer, 0)
	assert.True(t, en[reviewer].Reviewer)
	if !ReviewerMayGive("CONTENT_MISLEADING") || !ReviewerMayGive("QUALIFICATION_MISSING") || ReviewerMayGive("POLICY_ERROR") || ReviewerMayGive("NOT_A_CODE") {
		t.Error("ReviewerMayGive admits the wrong codes")
	}
	got := Localize([]Reason{{Code: "CONTENT_MISLEADING", Message: "fake discounts"}}, "zh-CN")
	if got[0].Message != "fake discounts" || got[0].Remediation == "" {
		t.Errorf("a reviewer's reason keeps the comment and gains a remediation: %+v", got[0])
	}
}

// A catalogue with a mistake in it does not load.
func TestReadCatalogueRefusesMistakes(t *testing.T) {
	t.Parallel()
	entry := func(code, source, extra string) string {
		return fmt.Sprintf(`{"code": %q, "source": %q, %s "en": {"message": "m", "remediation": "r"}, "zh": {"message": "m", "remediation": "r"}}`, code, source, extra)
	}
	policyErr := entry(CodePolicyError, sourceEngine, `"outcome": "review", "when": "w", "evidence": ["error"],`)
	unlisted := `"unlisted": {"zh": {"finding_remediation": "f", "generic_remediation": "g", "advice": "a"}}`
	file := func(codes ...string) string {
		return `{"codes": [` + strings.Join(codes, ",") + `], ` + unlisted + `}`
	}
	require.NotPanics(t, func() { mustReadCatalogue([]byte(file(policyErr, entry("X", sourceReviewer, "")))) })
	tests := []struct{ name, json, want string }{
		{"a code listed twice", file(policyErr, entry("X", sourceReviewer, ""), entry("X", sourceReviewer, "")), "X is listed twice"},
		{"a misspelt source", file(policyErr, entry("X", "reviewers", "")), `source "reviewers"`},
		{"a bundle code without an example", file(policyErr, entry("X", sourceBundle, `"outcome": "reject", "when": "w", "evidence": ["e"],`)), "needs an example"},
		{"a bundle code without evidence", file(policyErr, entry("X", sourceBundle, `"outcome": "reject", "when": "w", "example": {},`)), "needs outcome, when and evidence"},
		{"an empty Chinese text", file(policyErr, strings.Replace(entry("X", sourceReviewer, ""), `"zh": {"message": "m"`, `"zh": {"message": ""`, 1)), "the zh message or remediation is empty"},
		{"a lower-case code", file(policyErr, entry("x_code", sourceReviewer, "")), "is not upper-case"},
		{"no POLICY_ERROR", file(entry("X", sourceReviewer, "")), "POLICY_ERROR must be listed"},
		{"an unknown field", file(policyErr, entry("X", sourceReviewer, `"remedy": "r",`)), "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := readCatalogue([]byte(tt.json))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
