package scan

import (
	"fmt"
	"sort"
	"strings"
)

// PRIV rules that hold the personal-data flows against what the developer
// says about them: the structured declaration (Options.Privacy) and the
// privacy policy's text (Options.PrivacyPolicy). They run after the flow
// analysis and read only its flows, so they conclude nothing about code
// the analysis could not follow.
//
// Severities: an undeclared kind leaving the device (PRIV-010) is high,
// because the declaration is the developer's own structured statement and
// the platforms refuse a release whose code contradicts it; the flow is
// the evidence. A policy that never names a kind that is sent (PRIV-012)
// is medium: the policy is free text and the lexicon may miss a wording,
// so it is a reviewer's question, not a reason to block. Declared but
// never collected (PRIV-011) and "the policy names it" (PRIV-013) are
// info: evidence a reviewer reads, not a fault.
var (
	rulePrivUndeclared = register(Rule{
		ID: "PRIV-010", Severity: SeverityHigh,
		Message:       "personal data is sent off the device but the privacy declaration does not list its kind",
		MessageZH:     "个人信息被发送出设备，但隐私声明未列出该类信息",
		Remediation:   "Add the kind to the privacy declaration with its purpose and whether it is shared with third parties, or stop sending the data.",
		RemediationZH: "在隐私声明中补充该类信息及其用途、是否提供给第三方；或不再发送该信息。",
		Why:           "Users agree to what the declaration lists; data sent beyond it is collected without their consent, which the platforms and PIPL forbid.",
	})
	rulePrivUnused = register(Rule{
		ID: "PRIV-011", Severity: SeverityInfo,
		Message:       "the privacy declaration lists a kind that no code is seen collecting",
		MessageZH:     "隐私声明列出了代码中未见收集的信息类型",
		Remediation:   "Remove the kind from the declaration if the app does not need it; declare only what the code collects.",
		RemediationZH: "如小程序并不需要该类信息，请从隐私声明中删除；只声明代码实际收集的信息。",
		Why:           "Declaring data the app never collects asks users for more than it needs; it can also mean the flow analysis missed a path, so a reviewer looks.",
	})
	rulePrivPolicySilent = register(Rule{
		ID: "PRIV-012", Severity: SeverityMedium,
		Message:       "personal data is collected and sent off the device, but the privacy policy never mentions it",
		MessageZH:     "个人信息被收集并发送出设备，但隐私政策未提及该类信息",
		Remediation:   "Say in the privacy policy that the app collects this data, why, and who receives it.",
		RemediationZH: "在隐私政策中说明小程序收集该类信息、用途及接收方。",
		Why:           "A privacy policy must tell users every kind of personal data collected; the platforms and PIPL require it before collection.",
	})
	rulePrivPolicyNames = register(Rule{
		ID: "PRIV-013", Severity: SeverityInfo,
		Message:       "personal data is collected and sent off the device; the privacy policy mentions it",
		MessageZH:     "个人信息被收集并发送出设备；隐私政策提及了该类信息",
		Remediation:   "Nothing to fix if the sentence describes the collection; a reviewer checks that it does not deny it.",
		RemediationZH: "如该句确实说明了收集行为则无需修改；审核人员会核对其并非否认收集。",
		Why:           "The sentence is the evidence a reviewer compares with the flow: a mention may also be a denial (\"we do not collect your location\").",
	})
)

// PrivacyEvidence is what a PRIV finding rests on, for the policy and the
// reviewer: the data kind, the flow that sends it (its source and sink),
// the declared purpose when the declaration lists the kind, and the
// policy's sentences naming the kind.
type PrivacyEvidence struct {
	Kind      string      `json:"kind"`
	Source    *FlowSource `json:"source,omitempty"`
	Sink      *FlowSink   `json:"sink,omitempty"`
	Purpose   string      `json:"purpose,omitempty"`
	Sentences []Sentence  `json:"sentences,omitempty"`
	Lexicon   string      `json:"lexicon,omitempty"`
}

// checkPrivacyDeclaration holds the flows against the declaration and the
// policy text, when the caller gave them.
func checkPrivacyDeclaration(s *state) {
	for _, h := range privacyHits(s.flows, s.opts.Privacy, s.opts.PrivacyPolicy, s.dynamicAPI) {
		s.add(h.rule, h.hit)
	}
}

type ruleHit struct {
	rule Rule
	hit  hit
}

// privacyHits is the PRIV-010..013 logic over flows. dynamic is set when
// some calls could not be resolved, so no kind may be concluded unused.
func privacyHits(flows []Flow, decl *PrivacyDeclaration, policy string, dynamic bool) []ruleHit {
	flows = append([]Flow(nil), flows...)
	sort.SliceStable(flows, func(i, j int) bool { return flowLess(flows[i], flows[j]) })
	var out []ruleHit
	collected := map[string]bool{}
	sent := map[string]Flow{} // kind -> first flow sending it, in file and line order
	for _, f := range flows {
		collected[f.Source.Kind] = true
		if !f.LeavesDevice() {
			continue
		}
		if _, seen := sent[f.Source.Kind]; !seen {
			sent[f.Source.Kind] = f
		}
		if decl != nil && !decl.Declares(f.Source.Kind) {
			out = append(out, ruleHit{rulePrivUndeclared, flowHit(f,
				fmt.Sprintf("%s from %s is sent by %s%s", f.Source.Kind, f.Source.API, sinkPlace(f.Sink), sinkTo(f.Sink)),
				&PrivacyEvidence{Kind: f.Source.Kind, Source: &f.Source, Sink: &f.Sink})})
		}
	}
	if decl != nil && !dynamic {
		for i, it := range decl.Items {
			if collected[it.Kind] {
				continue
			}
			out = append(out, ruleHit{rulePrivUnused, hit{
				snippet: fmt.Sprintf("items[%d]: %s", i, it.Kind),
				detail:  it.Kind,
				match:   it.Kind,
				privacy: &PrivacyEvidence{Kind: it.Kind, Purpose: it.Purpose},
			}})
		}
	}
	if strings.TrimSpace(policy) == "" {
		return out
	}
	named := PolicyKinds(policy)
	for _, kind := range sortedKinds(sent) {
		f := sent[kind]
		ev := &PrivacyEvidence{Kind: kind, Source: &f.Source, Sink: &f.Sink, Sentences: named[kind], Lexicon: PrivacyLexiconVersion()}
		if decl != nil {
			if it, ok := decl.Item(kind); ok {
				ev.Purpose = it.Purpose
			}
		}
		if len(ev.Sentences) == 0 {
			out = append(out, ruleHit{rulePrivPolicySilent, flowHit(f,
				fmt.Sprintf("%s from %s is sent by %s%s; no sentence of the policy names it", kind, f.Source.API, sinkPlace(f.Sink), sinkTo(f.Sink)), ev)})
			continue
		}
		first := ev.Sentences[0]
		h := flowHit(f, fmt.Sprintf("%s is named on line %d of the policy: %q", kind, first.Line, printable(first.Text, 80)), ev)
		h.snippet = first.Text
		out = append(out, ruleHit{rulePrivPolicyNames, h})
	}
	return out
}

// flowHit is a finding at the flow's source. The match names the kind and
// the whole flow, so two flows from one source to different sinks stay
// two findings and the same flow keeps its fingerprint across re-scans.
func flowHit(f Flow, detail string, ev *PrivacyEvidence) hit {
	return hit{
		file:    f.Source.File,
		line:    f.Source.Line,
		snippet: fmt.Sprintf("%s (%s) → %s at %s%s", f.Source.API, f.Source.Kind, f.Sink.API, place(f.Sink.File, f.Sink.Line), sinkTo(f.Sink)),
		detail:  detail,
		match:   strings.Join([]string{f.Source.Kind, f.Source.API, f.Sink.API, place(f.Sink.File, f.Sink.Line), f.Sink.Endpoint}, "\x00"),
		privacy: ev,
	}
}

func place(file string, line int) string { return fmt.Sprintf("%s:%d", file, line) }

func sinkPlace(k FlowSink) string { return fmt.Sprintf("%s at %s", k.API, place(k.File, k.Line)) }

func sinkTo(k FlowSink) string {
	if k.Endpoint == "" {
		return ""
	}
	return " to " + k.Endpoint
}

func flowLess(a, b Flow) bool {
	ka := []string{a.Source.File, fmt.Sprintf("%09d", a.Source.Line), a.Source.Kind, a.Sink.File, fmt.Sprintf("%09d", a.Sink.Line), a.Sink.API, a.Sink.Endpoint}
	kb := []string{b.Source.File, fmt.Sprintf("%09d", b.Source.Line), b.Source.Kind, b.Sink.File, fmt.Sprintf("%09d", b.Sink.Line), b.Sink.API, b.Sink.Endpoint}
	for i := range ka {
		if ka[i] != kb[i] {
			return ka[i] < kb[i]
		}
	}
	return false
}
