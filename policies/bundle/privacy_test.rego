# Tests for the personal-data rules: the clean input of submission_test.rego
# with flows and a declaration.
package trustgate.submission_test

import data.trustgate.submission

location_to_server := {
	"source": {"api": "wx.getLocation", "kind": "location", "file": "pages/shop/index.js", "line": 12},
	"sink": {"api": "wx.request", "file": "utils/api.js", "line": 8, "endpoint": "api.shop.example", "scheme": "https"},
	"off_device": true,
	"registered": true,
}

phone_to_tracker := {
	"source": {"api": "wx.getPhoneNumber", "kind": "phone", "file": "pages/me/index.js", "line": 30},
	"sink": {"api": "wx.request", "file": "pages/me/index.js", "line": 33, "endpoint": "t.tracker.example", "scheme": "https"},
	"off_device": true,
	"registered": false,
}

location_to_storage := {
	"source": {"api": "wx.getLocation", "kind": "location", "file": "pages/shop/index.js", "line": 12},
	"sink": {"api": "wx.setStorageSync", "file": "pages/shop/index.js", "line": 14, "endpoint": "", "scheme": ""},
	"off_device": false,
	"registered": false,
}

declaring(items) := {"declared": true, "items": items, "policy_text_given": false}

no_declaration := {"declared": false, "items": {}, "policy_text_given": false}

with_privacy(flows, privacy) := object.union(clean, {"flows": flows, "privacy": privacy})

location_item := {"location": {"purpose": "show nearby shops", "third_party": false}}

test_declared_flow_to_registered_host_is_approved if {
	d := submission.decision with input as with_privacy([location_to_server], declaring(location_item))
	d.outcome == "approve"
}

test_undeclared_kind_sent_off_the_device_is_rejected_naming_kind_and_place if {
	d := submission.decision with input as with_privacy([location_to_server, location_to_server], declaring({}))
	d.outcome == "reject"
	codes(d) == ["PRIVACY_UNDECLARED"]
	r := reason(d, "PRIVACY_UNDECLARED")
	r.evidence == {
		"data_kind": "location", "api": "wx.getLocation", "file": "pages/shop/index.js", "line": 12,
		"sink_api": "wx.request", "sink_file": "utils/api.js", "sink_line": 8, "occurrences": 2,
	}
	contains(r.remediation, `"location"`)
	contains(r.remediation, "pages/shop/index.js:12")
}

test_data_kept_on_the_device_needs_no_declaration if {
	d := submission.decision with input as with_privacy([location_to_storage], declaring({}))
	d.outcome == "approve"
	d2 := submission.decision with input as with_privacy([location_to_storage], no_declaration)
	d2.outcome == "approve"
}

test_no_declaration_sends_personal_data_off_the_device_to_review if {
	d := submission.decision with input as with_privacy([location_to_server], no_declaration)
	d.outcome == "review"
	codes(d) == ["PRIVACY_DECLARATION_MISSING"]
	reason(d, "PRIVACY_DECLARATION_MISSING").evidence.data_kind == "location"
}

test_no_declaration_rejects_when_compliance_says_so if {
	d := submission.decision with input as with_privacy([location_to_server], no_declaration)
		with data.trustgate.privacy.without_declaration as "reject"
	d.outcome == "reject"
	codes(d) == ["PRIVACY_DECLARATION_MISSING"]
}

test_unregistered_recipient_goes_to_review_with_the_flow if {
	d := submission.decision with input as with_privacy([phone_to_tracker], declaring({"phone": {"purpose": "log in", "third_party": true}}))
	d.outcome == "review"
	codes(d) == ["PRIVACY_THIRD_PARTY"]
	r := reason(d, "PRIVACY_THIRD_PARTY")
	r.evidence.endpoint == "t.tracker.example"
	r.evidence.file == "pages/me/index.js"
	r.evidence.sink_line == 33
	contains(r.message, "to t.tracker.example,")
}

test_unnamed_recipient_goes_to_review if {
	flow := object.union(phone_to_tracker, {"sink": {"endpoint": ""}})
	d := submission.decision with input as with_privacy([flow], declaring({"phone": {"purpose": "log in", "third_party": false}}))
	codes(d) == ["PRIVACY_THIRD_PARTY"]
	contains(reason(d, "PRIVACY_THIRD_PARTY").message, "a recipient the scan cannot name")
}

# The scan's own findings for the same facts do not add a generic review
# reason beside the privacy ones.
test_privacy_findings_are_decided_by_the_privacy_rules if {
	findings := [
		{"rule_id": "PRIV-010", "severity": "high", "file": "pages/shop/index.js", "line": 12, "message": "location is not declared"},
		{"rule_id": "PRIV-001", "severity": "high", "file": "pages/me/index.js", "line": 33, "message": "unregistered host"},
	]
	doc := object.union(with_privacy([location_to_server, phone_to_tracker], declaring({"phone": {"purpose": "log in", "third_party": true}})), {"findings": findings})
	d := submission.decision with input as doc
	d.outcome == "reject"
	codes(d) == ["PRIVACY_UNDECLARED"]
	review := submission.review_reasons with input as doc
	{r.code | some r in review} == {"PRIVACY_THIRD_PARTY"}
}

# An input recorded before flows were policy input still has the scan's
# findings decided as findings.
test_privacy_findings_without_flows_are_findings if {
	doc := object.union(clean, {"findings": [{"rule_id": "PRIV-010", "severity": "high", "file": "a.js", "line": 1, "message": "m"}]})
	d := submission.decision with input as doc
	codes(d) == ["FINDING_NEEDS_REVIEW"]
}
