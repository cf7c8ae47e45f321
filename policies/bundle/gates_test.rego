# Tests for the category and payment gates. They reuse the clean input of
# submission_test.rego, which is approved, and change only what the case is
# about.
package trustgate.submission_test

import data.trustgate.submission

in_category(category, developer) := object.union(with_developer(developer), {"app": {"category": category}})

payment_call := {"rule_id": "CODE-020", "severity": "info", "file": "pages/pay/pay.js", "line": 12, "message": "payment API used"}

with_findings(doc, findings) := object.union(doc, {"findings": findings})

licensed_enterprise := {"kind": "enterprise", "credit_score": 800, "qualifications": ["finance", "lending", "medical", "news", "payment"]}

test_individual_in_enterprise_only_category_is_rejected if {
	every category in ["finance", "lending", "medical"] {
		d := submission.decision with input as in_category(category, {"credit_score": 800, "qualifications": [category]})
		d.outcome == "reject"
		codes(d) == ["CATEGORY_ENTERPRISE_ONLY"]
		reason(d, "CATEGORY_ENTERPRISE_ONLY").evidence == {"category": category, "kind": "individual", "required_kind": "enterprise"}
	}
}

test_missing_kind_counts_as_individual if {
	doc := json.remove(in_category("medical", licensed_enterprise), ["developer/kind"])
	d := submission.decision with input as doc
	"CATEGORY_ENTERPRISE_ONLY" in codes(d)
	reason(d, "CATEGORY_ENTERPRISE_ONLY").evidence.kind == ""
}

test_licensed_enterprise_is_approved_in_every_gated_category if {
	every category in ["finance", "lending", "medical", "news"] {
		d := submission.decision with input as in_category(category, licensed_enterprise)
		d.outcome == "approve"
	}
}

test_category_without_its_qualification_is_rejected if {
	d := submission.decision with input as in_category("medical", object.union(licensed_enterprise, {"qualifications": ["finance"]}))
	d.outcome == "reject"
	codes(d) == ["QUALIFICATION_MISSING"]
	reason(d, "QUALIFICATION_MISSING").evidence == {"category": "medical", "qualification": "medical"}
}

test_qualified_individual_may_publish_news if {
	d := submission.decision with input as in_category("news", {"qualifications": ["news"]})
	d.outcome == "approve"
}

test_unqualified_individual_may_not_publish_news if {
	d := submission.decision with input as in_category("news", {})
	codes(d) == ["QUALIFICATION_MISSING"]
}

test_ungated_category_needs_nothing if {
	d := submission.decision with input as in_category("games", {})
	d.outcome == "approve"
}

test_individual_using_payment_apis_is_rejected if {
	d := submission.decision with input as with_findings(clean, [payment_call, object.union(payment_call, {"line": 30})])
	d.outcome == "reject"
	codes(d) == ["PAYMENT_REQUIRES_ENTERPRISE"]
	reason(d, "PAYMENT_REQUIRES_ENTERPRISE").evidence == {
		"rule_id": "CODE-020", "file": "pages/pay/pay.js", "line": 12, "occurrences": 2,
		"kind": "individual", "qualification": "payment",
	}
}

test_individual_with_payment_qualification_is_still_rejected if {
	d := submission.decision with input as with_findings(with_developer({"qualifications": ["payment"]}), [payment_call])
	codes(d) == ["PAYMENT_REQUIRES_ENTERPRISE"]
}

test_enterprise_without_payment_qualification_is_rejected if {
	d := submission.decision with input as with_findings(with_developer({"kind": "enterprise"}), [payment_call])
	d.outcome == "reject"
	codes(d) == ["PAYMENT_QUALIFICATION_MISSING"]
	reason(d, "PAYMENT_QUALIFICATION_MISSING").evidence.kind == "enterprise"
}

test_enterprise_with_payment_qualification_is_approved if {
	d := submission.decision with input as with_findings(with_developer({"kind": "enterprise", "qualifications": ["payment"]}), [payment_call])
	d.outcome == "approve"
}

test_payment_finding_at_package_level_has_no_location if {
	call := json.remove(payment_call, ["file", "line"])
	d := submission.decision with input as with_findings(clean, [call])
	reason(d, "PAYMENT_REQUIRES_ENTERPRISE").evidence.file == ""
	reason(d, "PAYMENT_REQUIRES_ENTERPRISE").evidence.line == 0
}

test_waived_payment_rule_is_approved if {
	waiver := {"rule_id": "CODE-020", "app_id": "app-1", "expires_at": "2026-07-01T00:00:00Z"}
	d := submission.decision with input as object.union(clean, {"findings": [payment_call], "waivers": [waiver]})
	d.outcome == "approve"
}

test_payment_rule_is_read_from_data if {
	other := object.union(payment_call, {"rule_id": "PAY-9"})
	d := submission.decision with input as with_findings(clean, [other])
		with data.trustgate.payment.rule_ids as ["PAY-9"]
	codes(d) == ["PAYMENT_REQUIRES_ENTERPRISE"]
}

test_every_gate_reports_at_once if {
	doc := object.union(
		in_category("lending", {"blacklisted": true, "credit_score": 1, "real_name": {"status": "none"}, "risk_flags": ["x"]}),
		{"findings": [critical, high, payment_call], "history": {"rejections_90d": 9}},
	)
	rejects := submission.reject_reasons with input as doc
	reviews := submission.review_reasons with input as doc
	{r.code | some r in rejects | reviews} == {
		"CATEGORY_ENTERPRISE_ONLY", "CREDIT_BELOW_THRESHOLD", "DEVELOPER_BLACKLISTED", "MAN-003",
		"PAYMENT_REQUIRES_ENTERPRISE", "QUALIFICATION_MISSING", "REALNAME_REQUIRED",
		"FINDING_NEEDS_REVIEW", "REPEAT_OFFENDER", "RISK_FLAGGED",
	}
}
