package scan

import (
	"bytes"
	"fmt"
	"path"
	"strings"

	"github.com/dop251/goja/ast"
)

// The PRIV rules hold the personal-data flows against where the data
// goes. The declaration checks (PRIV-010 and up) hold them against what
// the developer declared.
var (
	rulePrivUnregistered = register(Rule{
		ID: "PRIV-001", Severity: SeverityHigh,
		Message:       "personal data is sent to a host not registered for the app",
		Remediation:   "Send personal data only to the app's own registered servers; if this host is a processor of yours, register it and name it in the privacy declaration as a third party.",
		MessageZH:     "个人信息被发送到未在本小程序登记的域名",
		RemediationZH: "只向本小程序已登记的服务器发送个人信息；如该域名属于受托处理方，请登记该域名，并在隐私声明中列为第三方。",
		Why:           "Data sent to a server nobody registered or reviewed is data shared with an unknown third party, which the user never agreed to.",
	})
	rulePrivHTTP = register(Rule{
		ID: "PRIV-002", Severity: SeverityHigh,
		Message:       "personal data is sent over plain http",
		Remediation:   "Use https:// (or wss://) for every endpoint that receives personal data.",
		MessageZH:     "个人信息通过未加密的 http 发送",
		RemediationZH: "接收个人信息的接口一律使用 https://（或 wss://）。",
		Why:           "Anyone on the network path can read and change personal data sent unencrypted.",
	})
	rulePrivMiniProgram = register(Rule{
		ID: "PRIV-003", Severity: SeverityMedium,
		Message:       "personal data is passed to another mini-program",
		Remediation:   "Pass only what the other mini-program needs, and name it in the privacy declaration as shared with a third party.",
		MessageZH:     "个人信息被传递给其他小程序",
		RemediationZH: "只传递对方小程序必需的数据，并在隐私声明中列为与第三方共享。",
		Why:           "Another mini-program is another operator: handing it personal data is sharing with a third party, which needs the user's consent.",
	})
)

// flowGate is what a script must name to take part in the flow analysis:
// a platform object, a module link, or a page's data or events.
var flowGate = [][]byte{[]byte("wx"), []byte("my"), []byte("require"), []byte("exports"), []byte("getApp"), []byte("setData"), []byte("detail"), []byte("globalData")}

// flowNeeds reports whether the analysis reads a script. The view-layer
// scripts (.wxs, .sjs) cannot reach the network or the platform. A
// vendored library is read only when it names a platform object, so that
// it costs no parse the CODE rules do not already pay: a library helper
// the analysis does not read still passes what it is given to what it
// returns, as every unknown function does.
func flowNeeds(e *entry, src []byte) bool {
	switch strings.ToLower(path.Ext(e.clean)) {
	case ".wxs", ".sjs":
		return false
	}
	if vendoredPath(e.clean) {
		return bytes.Contains(src, []byte("wx")) || bytes.Contains(src, []byte("my"))
	}
	for _, w := range flowGate {
		if bytes.Contains(src, w) {
			return true
		}
	}
	return false
}

func (s *state) flowAdd(e *entry, t *text, prog *ast.Program) {
	if s.flow == nil {
		s.flow = newFlowEngine()
	}
	s.flow.addFile(e.name, strings.TrimPrefix(e.clean, s.root), prog, t, readESModule(e.data))
}

// checkFlows runs the flow analysis over every script the CODE rules
// handed it and reports the flows that break a PRIV rule.
func checkFlows(s *state) {
	if s.flow == nil {
		return
	}
	for _, e := range s.arch.files {
		if !e.read || !strings.HasPrefix(e.clean, s.root) {
			continue
		}
		rel := strings.TrimPrefix(e.clean, s.root)
		switch base := path.Base(e.clean); {
		case strings.HasSuffix(base, ".wxml"), strings.HasSuffix(base, ".axml"):
			templateHandlerKinds(e.data, s.flow.handlers)
			if views := templateWebViews(e.data, false); len(views) > 0 {
				s.flow.templates[rel] = &pageTemplate{name: e.name, views: views}
			}
		case strings.HasPrefix(base, "page-frame."):
			templateHandlerKinds(e.data, s.flow.handlers)
			frameWebViews(e.data, path.Dir(rel), s.flow.templates)
		}
	}
	s.flows = s.flow.run()
	s.flow = nil // let the trees go
	for i := range s.flows {
		s.checkFlow(&s.flows[i])
	}
}

func (s *state) checkFlow(f *Flow) {
	h := hit{file: f.Sink.File, line: f.Sink.Line, flow: f}
	src := fmt.Sprintf("%s (%s) from %s:%d", f.Source.API, f.Source.Kind, f.Source.File, f.Source.Line)
	match := fmt.Sprintf("%s|%s|%s:%d|%s|%s", f.Source.API, f.Source.Kind, f.Source.File, f.Source.Line, f.Sink.API, f.Sink.Endpoint)
	_, name, _ := strings.Cut(f.Sink.API, ".")
	switch {
	case name == "navigateToMiniProgram":
		s.add(rulePrivMiniProgram, withMatch(withDetail(h, src+" to "+f.Sink.API), match))
	case !f.Sink.OffDevice():
		return
	}
	if f.Sink.Scheme == "http" {
		s.add(rulePrivHTTP, withMatch(withDetail(h, src+" to "+f.Sink.API+" http://"+f.Sink.Endpoint), match))
	}
	if f.Sink.Endpoint != "" && len(s.opts.Domains) > 0 && !domainRegistered(s.opts.Domains, f.Sink.Endpoint) {
		s.add(rulePrivUnregistered, withMatch(withDetail(h, src+" to "+f.Sink.API+" "+f.Sink.Endpoint), match))
	}
}

// FlowPath renders a flow as one short line: the source, the places on
// the way, the sink's place, and where the sink sends it.
func FlowPath(f Flow) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s:%d", f.Source.API, f.Source.File, f.Source.Line)
	for _, st := range f.Steps {
		fmt.Fprintf(&b, " → %s:%d", st.File, st.Line)
	}
	fmt.Fprintf(&b, " → %s:%d", f.Sink.File, f.Sink.Line)
	fmt.Fprintf(&b, " → %s", f.Sink.API)
	if f.Sink.Endpoint != "" {
		if f.Sink.Scheme == "http" {
			b.WriteString(" http://" + f.Sink.Endpoint)
		} else {
			b.WriteString(" " + f.Sink.Endpoint)
		}
	}
	return b.String()
}
