package policies

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/util"
)

// benchInput has 20 findings, a large but ordinary scan result; none of them
// critical so that every rule runs to the end.
func benchInput() Input {
	in := cleanInput()
	severities := []string{"high", "medium", "low", "info"}
	for i := range 20 {
		in.Findings = append(in.Findings, finding(severities[i%len(severities)], fmt.Sprintf("CODE-%03d", i), fmt.Sprintf("pages/p%d/p%d.js", i, i), 10+i))
	}
	return in
}

func BenchmarkDecide(b *testing.B) {
	engine := mustDefault(b)
	in := benchInput()
	ctx := context.Background()
	if d := engine.Decide(ctx, in); d.Outcome != OutcomeReview {
		b.Fatalf("bench input decided %+v, want review", d)
	}
	b.ReportAllocs()
	for b.Loop() {
		engine.Decide(ctx, in)
	}
}

// BenchmarkInputConversion compares ways of handing the input to OPA, each
// including the evaluation; Input.value is the one Decide uses.
func BenchmarkInputConversion(b *testing.B) {
	engine := mustDefault(b)
	in := benchInput()
	ctx := context.Background()
	ways := []struct {
		name string
		opt  func() (rego.EvalOption, error)
	}{
		{"hand-built value via EvalParsedInput", func() (rego.EvalOption, error) {
			return rego.EvalParsedInput(in.value()), nil
		}},
		{"struct via EvalInput", func() (rego.EvalOption, error) { return rego.EvalInput(in), nil }},
		{"json round trip map via EvalInput", func() (rego.EvalOption, error) {
			raw, err := json.Marshal(in)
			if err != nil {
				return nil, err
			}
			var m map[string]any
			if err := util.Unmarshal(raw, &m); err != nil {
				return nil, err
			}
			return rego.EvalInput(m), nil
		}},
		{"InterfaceToValue via EvalParsedInput", func() (rego.EvalOption, error) {
			v, err := ast.InterfaceToValue(in)
			return rego.EvalParsedInput(v), err
		}},
		{"json to ast.Value via EvalParsedInput", func() (rego.EvalOption, error) {
			raw, err := json.Marshal(in)
			if err != nil {
				return nil, err
			}
			v, err := ast.ValueFromReader(bytes.NewReader(raw))
			return rego.EvalParsedInput(v), err
		}},
	}
	for _, w := range ways {
		b.Run(w.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				opt, err := w.opt()
				if err != nil {
					b.Fatal(err)
				}
				if _, err := engine.query.Eval(ctx, opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
