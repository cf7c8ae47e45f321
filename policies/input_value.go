package policies

import (
	"slices"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"trustgate/policies/vm"
)

// The input is converted once, into the plan machine's values, and built
// by hand: the generic paths (rego's own conversion, ast.InterfaceToValue, a
// JSON round trip to a map) all encode and decode JSON per call, and OPA's
// own values hash every string and build a map for every object, which is
// most of what they cost for a hundred findings. OPA's evaluator (explain,
// the fallback, shadow and differential checks) is given the same value in
// OPA's terms (opaInput). TestInputValueMatchesJSON keeps this equal to the
// JSON encoding, so the JSON tags on the structs stay the one definition.
//
// Key lists are shared by every object of a shape. That is safe because an
// object's key list has no spare capacity: the machine never inserts into
// the input, and if it did, the append would copy.
var (
	findingKeys = keys("rule_id", "severity", "file", "line", "message", "remediation", "score")
	waiverKeys  = keys("rule_id", "app_id", "expires_at")
	inputKeys   = keys("submission", "app", "developer", "findings", "history", "waivers", "flows", "privacy", "now", "related")
	subKeys     = keys("id", "app_id", "version", "platform", "package_sha256", "package_bytes")
	appKeys     = keys("id", "name", "category", "platform", "status", "live_version")
	devKeys     = keys("id", "org_id", "kind", "real_name", "credit_score", "qualifications", "risk_flags", "blacklisted")
	realKeys    = keys("status", "verified_at", "expires_at")
	historyKeys = keys("rejections_90d", "approvals_365d", "live_apps", "withdrawn_same_package")
	flowKeys    = keys("source", "sink", "off_device", "registered")
	sourceKeys  = keys("api", "kind", "file", "line")
	sinkKeys    = keys("api", "file", "line", "endpoint", "scheme")
	privacyKeys = keys("declared", "items", "policy_text_given")
	itemKeys    = keys("purpose", "third_party")
)

func keys(names ...string) []vm.Value {
	out := make([]vm.Value, len(names))
	for i, n := range names {
		out[i] = vm.String(n)
	}
	return out[:len(out):len(out)]
}

// planScratch is where a decision's input keeps its findings and waivers:
// their values and objects, a third of what a decision allocates. Decide
// takes one from planScratches, converts the input into it, evaluates and
// decodes the decision, and only then, when nothing refers to the input's
// values any more (a Decision holds Go values, and the machine keeps none
// of an evaluation's), puts it back for the next decision.
type planScratch struct {
	vals              []vm.Value
	findings, waivers vm.RecordStore
}

var planScratches = sync.Pool{New: func() any { return new(planScratch) }}

// release drops the input the scratch holds, so that a pooled one keeps
// nothing alive.
func (s *planScratch) release() {
	clear(s.vals[:cap(s.vals)])
	s.vals = s.vals[:0]
	s.findings.Clear()
	s.waivers.Clear()
}

func (in Input) planInput() vm.Value { return in.planInputIn(new(planScratch)) }

// opaInput is the input for OPA's evaluator: the plan machine's value,
// converted. The conversion copies everything, so the scratch goes back at
// once.
func (in Input) opaInput() ast.Value {
	scratch := planScratches.Get().(*planScratch)
	defer func() {
		scratch.release()
		planScratches.Put(scratch)
	}()
	return vm.ToAST(in.planInputIn(scratch))
}

func (in Input) planInputIn(scratch *planScratch) vm.Value {
	// The findings' and waivers' objects are made together, a few
	// allocations for any number of them. Severities are constants, which
	// take no allocation to box.
	vals := slices.Grow(scratch.vals[:0], len(findingKeys)*len(in.Findings)+len(waiverKeys)*len(in.Waivers))
	for _, f := range in.Findings {
		vals = append(vals, vm.String(f.RuleID), severity(f.Severity), vm.String(f.File),
			vm.Int(f.Line), vm.String(f.Message), vm.String(f.Remediation), vm.Int(f.Score))
	}
	for _, w := range in.Waivers {
		vals = append(vals, vm.String(w.RuleID), vm.String(w.AppID), vm.String(formatTime(w.ExpiresAt)))
	}
	scratch.vals = vals
	findingVals := len(findingKeys) * len(in.Findings)
	findings := scratch.findings.Make(findingKeys, vals[:findingVals:findingVals])
	waivers := scratch.waivers.Make(waiverKeys, vals[findingVals:])
	sub, a, d, h := in.Submission, in.App, in.Developer, in.History
	return vm.NewObject(inputKeys, []vm.Value{
		vm.NewObject(subKeys, []vm.Value{vm.String(sub.ID), vm.String(sub.AppID), vm.String(sub.Version),
			vm.String(sub.Platform), vm.String(sub.PackageSHA256), vm.Int(sub.PackageBytes)}),
		vm.NewObject(appKeys, []vm.Value{vm.String(a.ID), vm.String(a.Name), vm.String(a.Category),
			vm.String(a.Platform), vm.String(a.Status), vm.String(a.LiveVersion)}),
		vm.NewObject(devKeys, []vm.Value{vm.String(d.ID), vm.String(d.OrgID), vm.String(d.Kind),
			vm.NewObject(realKeys, []vm.Value{vm.String(d.RealName.Status), optionalTime(d.RealName.VerifiedAt), optionalTime(d.RealName.ExpiresAt)}),
			vm.Int(d.CreditScore), stringsArray(d.Qualifications), stringsArray(d.RiskFlags), vm.Bool(d.Blacklisted)}),
		vm.NewArray(findings...),
		vm.NewObject(historyKeys, []vm.Value{vm.Int(h.Rejections90d), vm.Int(h.Approvals365d), vm.Int(h.LiveApps),
			vm.Int(h.WithdrawnSamePackage)}),
		vm.NewArray(waivers...),
		flowsArray(in.Flows),
		privacyObject(in.Privacy),
		vm.String(formatTime(in.Now)),
		relatedValue(in.Related),
	})
}

// flowsArray converts the flows. A package has a handful of them, so they
// are built plainly rather than in the scratch.
func flowsArray(flows []FlowInput) vm.Value {
	out := make([]vm.Value, len(flows))
	for i, f := range flows {
		src, sink := f.Source, f.Sink
		out[i] = vm.NewObject(flowKeys, []vm.Value{
			vm.NewObject(sourceKeys, []vm.Value{vm.String(src.API), vm.String(src.Kind), vm.String(src.File), vm.Int(src.Line)}),
			vm.NewObject(sinkKeys, []vm.Value{vm.String(sink.API), vm.String(sink.File), vm.Int(sink.Line), vm.String(sink.Endpoint), vm.String(sink.Scheme)}),
			vm.Bool(f.OffDevice), vm.Bool(f.Registered),
		})
	}
	return vm.NewArray(out...)
}

func privacyObject(p PrivacyInput) vm.Value {
	kinds := make([]string, 0, len(p.Items))
	for k := range p.Items {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	ks, vs := make([]vm.Value, len(kinds)), make([]vm.Value, len(kinds))
	for i, k := range kinds {
		item := p.Items[k]
		ks[i] = vm.String(k)
		vs[i] = vm.NewObject(itemKeys, []vm.Value{vm.String(item.Purpose), vm.Bool(item.ThirdParty)})
	}
	return vm.NewObject(privacyKeys, []vm.Value{vm.Bool(p.Declared), vm.NewObject(ks, vs), vm.Bool(p.PolicyTextGiven)})
}

// severity boxes the severities a scan writes as constants, which take no
// room at all.
func severity(s string) vm.Value {
	switch s {
	case "critical":
		return vm.String("critical")
	case "high":
		return vm.String("high")
	case "medium":
		return vm.String("medium")
	case "low":
		return vm.String("low")
	case "info":
		return vm.String("info")
	}
	return vm.String(s)
}

func optionalTime(t *time.Time) vm.Value {
	if t == nil {
		return vm.Null{}
	}
	return vm.String(formatTime(*t))
}

func stringsArray(values []string) vm.Value {
	out := make([]vm.Value, len(values))
	for i, v := range values {
		out[i] = vm.String(v)
	}
	return vm.NewArray(out...)
}

// formatTime writes what time.Time's MarshalJSON writes.
func formatTime(t time.Time) string { return t.Format(time.RFC3339Nano) }
