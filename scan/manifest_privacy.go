package scan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// MAN rules on privacy declarations. WeChat wants every location interface
// the code calls listed in "requiredPrivateInfos"; Alipay gates its privacy
// interfaces behind "usePrivacyCheck". CODE-010 and CODE-011 hold the
// scripts against these declarations; the rules here check the
// declarations themselves.
var (
	ruleManPrivateInfos = register(Rule{
		ID: "MAN-009", Severity: SeverityMedium,
		Message:     "requiredPrivateInfos is not a list of known privacy interfaces",
		Remediation: "Make \"requiredPrivateInfos\" an array of interface names such as \"getLocation\" or \"chooseAddress\".",
		Why:         "The platform checks privacy calls against this list, so a malformed list blocks the calls or the release.",
	})
	ruleManLocationBoth = register(Rule{
		ID: "MAN-010", Severity: SeverityMedium,
		Message:     "requiredPrivateInfos declares both getLocation and getFuzzyLocation",
		Remediation: "Declare one of the two; WeChat does not accept both precise and fuzzy location in one app.",
		Why:         "WeChat refuses a release that asks for precise and fuzzy location together.",
	})
	ruleManUnusedPrivateInfo = register(Rule{
		ID: "MAN-011", Severity: SeverityInfo,
		Message:     "privacy interface declared but no script calls it",
		Remediation: "Remove the declaration if the app does not need the data; declare only what the code uses.",
		Why:         "Declaring data the app never uses asks users for more than it needs, which privacy review objects to.",
	})
)

// privacyDecl is what app.json declares about privacy interfaces.
type privacyDecl struct {
	declared     map[string]int // interface -> index in requiredPrivateInfos
	privacyCheck bool
	scopeDesc    map[string]bool // permission scopes with a description
}

func (s *state) privacyDecl() *privacyDecl {
	if s.privacy != nil {
		return s.privacy
	}
	d := &privacyDecl{declared: map[string]int{}, scopeDesc: map[string]bool{}}
	s.privacy = d
	if s.app == nil {
		return d
	}
	var list []string
	if raw := s.app.app.RequiredPrivateInfos; len(raw) > 0 && json.Unmarshal(raw, &list) == nil {
		for i, name := range list {
			if _, dup := d.declared[name]; !dup {
				d.declared[name] = i
			}
		}
	}
	d.privacyCheck = bytes.Equal(bytes.TrimSpace(s.app.app.UsePrivacyCheck), []byte("true"))
	for scope, p := range s.app.app.Permission {
		d.scopeDesc[scope] = len(bytes.TrimSpace([]byte(p.Desc))) > 0
	}
	return d
}

// checkPrivateInfos checks the shape of requiredPrivateInfos.
func checkPrivateInfos(s *state) {
	if s.app == nil {
		return
	}
	raw := bytes.TrimSpace(s.app.app.RequiredPrivateInfos)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		s.addAt(ruleManPrivateInfos, "/requiredPrivateInfos", "type", "expected an array of strings")
		return
	}
	for i, name := range list {
		if !privateInfos[name] {
			s.addAt(ruleManPrivateInfos, "/requiredPrivateInfos/"+strconv.Itoa(i), name, fmt.Sprintf("unknown interface %q", printable(name, 60)))
		}
	}
	d := s.privacyDecl()
	if _, precise := d.declared["getLocation"]; precise {
		if i, fuzzy := d.declared["getFuzzyLocation"]; fuzzy {
			s.addAt(ruleManLocationBoth, "/requiredPrivateInfos/"+strconv.Itoa(i), "both", "")
		}
	}
}

// checkPrivacy holds the privacy interfaces the scripts reach against the
// declarations, once every script has been read.
func (s *state) checkPrivacy() {
	d := s.privacyDecl()
	used := map[string]bool{}
	for _, u := range s.apiUses {
		used[u.name] = true
		switch {
		case u.object == "wx" && s.platform == PlatformWeChat:
			if _, ok := d.declared[u.name]; privateInfos[u.name] && !ok && s.app != nil {
				s.add(ruleCodePrivateInfo, withDetail(u.h, "wx."+u.name))
			}
			if locationScopeAPIs[u.name] && !d.scopeDesc["scope.userLocation"] && s.app != nil {
				s.add(ruleCodeScope, withDetail(u.h, "wx."+u.name))
			}
		case u.object == "my" && s.platform == PlatformAlipay:
			if !d.privacyCheck && s.app != nil {
				s.add(ruleCodePrivacyCheck, withDetail(u.h, "my."+u.name+" ("+sensitiveAPIs[u.name]+")"))
			}
		}
	}
	if s.app == nil || s.dynamicAPI {
		return // a computed call may be the one using the declaration
	}
	for _, name := range sortedKeys(d.declared) {
		if privateInfos[name] && !used[name] {
			s.addAt(ruleManUnusedPrivateInfo, "/requiredPrivateInfos/"+strconv.Itoa(d.declared[name]), name, name)
		}
	}
}
