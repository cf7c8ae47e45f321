# Tests for the default submission policy. Each test starts from a clean input
# that is approved and changes only what the case is about.
package trustgate.submission_test

import data.trustgate.submission

clean := {
	"submission": {"id": "sub-1", "app_id": "app-1", "version": "1.0.0", "platform": "wechat", "package_sha256": "00", "package_bytes": 1024},
	"app": {"id": "app-1", "name": "Shop", "category": "retail", "platform": "wechat", "status": "live", "live_version": "0.9.0"},
	"developer": {
		"id": "dev-1",
		"org_id": "org-1",
		"kind": "individual",
		"real_name": {"status": "verified", "verified_at": "2025-01-01T00:00:00Z", "expires_at": "2027-01-01T00:00:00Z"},
		"credit_score": 720,
		"qualifications": [],
		"risk_flags": [],
		"blacklisted": false,
	},
	"findings": [],
	"history": {"rejections_90d": 0, "approvals_365d": 3, "live_apps": 1},
	"waivers": [],
	"now": "2026-06-01T12:00:00Z",
}

with_developer(patch) := object.union(clean, {"developer": patch})

critical := {"rule_id": "MAN-003", "severity": "critical", "file": "pages/x/x.wxml", "line": 3, "message": "page declared but missing"}

high := {"rule_id": "CODE-012", "severity": "high", "file": "pages/pay/pay.js", "line": 40, "message": "payment API used"}

codes(d) := [r.code | some r in d.reasons]

# reason is the one reason with the code; reasons are a set, so tests look
# them up rather than index them.
reason(d, code) := r if {
	some r in d.reasons
	r.code == code
}

test_clean_input_is_approved if {
	d := submission.decision with input as clean
	d == {"outcome": "approve", "reasons": []}
}

test_blacklisted_developer_is_rejected if {
	d := submission.decision with input as with_developer({"blacklisted": true})
	d.outcome == "reject"
	codes(d) == ["DEVELOPER_BLACKLISTED"]
}

test_unverified_developer_is_rejected if {
	every status in ["pending", "none", "rejected", "expired"] {
		d := submission.decision with input as with_developer({"real_name": {"status": status}})
		d.outcome == "reject"
		codes(d) == ["REALNAME_REQUIRED"]
		reason(d, "REALNAME_REQUIRED").evidence.real_name_status == status
	}
}

test_missing_real_name_is_rejected if {
	d := submission.decision with input as json.remove(clean, ["developer/real_name"])
	codes(d) == ["REALNAME_REQUIRED"]
}

test_expired_real_name_is_rejected if {
	d := submission.decision with input as with_developer({"real_name": {"expires_at": "2026-05-31T00:00:00Z"}})
	d.outcome == "reject"
	codes(d) == ["REALNAME_EXPIRED"]
	reason(d, "REALNAME_EXPIRED").evidence.expires_at == "2026-05-31T00:00:00Z"
}

test_real_name_without_expiry_is_accepted if {
	d := submission.decision with input as with_developer({"real_name": {"expires_at": null}})
	d.outcome == "approve"
}

test_individual_below_threshold_is_rejected if {
	d := submission.decision with input as with_developer({"credit_score": 550})
	d.outcome == "reject"
	d.reasons == {{
		"code": "CREDIT_BELOW_THRESHOLD",
		"message": "Credit score 550 is below the 700 required for individual developers in category \"retail\".",
		"evidence": {"credit_score": 550, "threshold": 700, "kind": "individual", "category": "retail"},
		"remediation": "Raise the account's credit score to at least 700 (settle overdue obligations, complete the credit profile), then upload again.",
	}}
}

test_score_at_threshold_is_approved if {
	d := submission.decision with input as with_developer({"credit_score": 700})
	d.outcome == "approve"
}

test_enterprise_threshold_is_lower if {
	enterprise := submission.decision with input as with_developer({"kind": "enterprise", "credit_score": 650})
	individual := submission.decision with input as with_developer({"kind": "individual", "credit_score": 650})
	enterprise.outcome == "approve"
	individual.outcome == "reject"
}

test_category_override_raises_threshold if {
	finance := object.union(
		with_developer({"kind": "enterprise", "credit_score": 650, "qualifications": ["finance"]}),
		{"app": {"category": "finance"}},
	)
	d := submission.decision with input as finance
	d.outcome == "reject"
	codes(d) == ["CREDIT_BELOW_THRESHOLD"]
	reason(d, "CREDIT_BELOW_THRESHOLD").evidence.threshold == 680
}

test_unknown_kind_gets_strictest_threshold if {
	d := submission.decision with input as with_developer({"kind": "partnership", "credit_score": 690})
	reason(d, "CREDIT_BELOW_THRESHOLD").evidence.threshold == 700
}

test_missing_credit_score_counts_as_zero if {
	d := submission.decision with input as json.remove(clean, ["developer/credit_score"])
	reason(d, "CREDIT_BELOW_THRESHOLD").evidence.credit_score == 0
}

test_non_numeric_credit_score_counts_as_zero if {
	d := submission.decision with input as with_developer({"credit_score": "800"})
	reason(d, "CREDIT_BELOW_THRESHOLD").evidence.credit_score == 0
}

test_critical_finding_rejects_with_rule_id_and_file if {
	d := submission.decision with input as object.union(clean, {"findings": [critical]})
	d.outcome == "reject"
	d.reasons == {{
		"code": "MAN-003",
		"message": "page declared but missing",
		"evidence": {"rule_id": "MAN-003", "file": "pages/x/x.wxml", "line": 3, "severity": "critical"},
		"remediation": "Fix what MAN-003 reports at pages/x/x.wxml:3 and upload a new version.",
	}}
}

test_critical_finding_passes_on_its_own_remediation if {
	f := object.union(critical, {"remediation": "Add the page or remove it from app.json."})
	d := submission.decision with input as object.union(clean, {"findings": [f]})
	reason(d, "MAN-003").remediation == "Add the page or remove it from app.json. (at pages/x/x.wxml:3)"
}

test_package_level_finding_names_the_package if {
	pkg := {"rule_id": "PKG-001", "severity": "CRITICAL", "message": "path traversal"}
	d := submission.decision with input as object.union(clean, {"findings": [pkg]})
	reason(d, "PKG-001").remediation == "Fix what PKG-001 reports at package level and upload a new version."
}

test_finding_without_line_names_the_file if {
	f := {"rule_id": "PKG-004", "severity": "critical", "file": "lib/native.so", "line": 0, "message": "native binary"}
	d := submission.decision with input as object.union(clean, {"findings": [f]})
	reason(d, "PKG-004").remediation == "Fix what PKG-004 reports at lib/native.so and upload a new version."
}

test_high_finding_goes_to_review if {
	d := submission.decision with input as object.union(clean, {"findings": [high]})
	d.outcome == "review"
	d.queue == "standard"
	d.priority == "normal"
	d.approvals_required == 1
	d.sla_hours == 48
	codes(d) == ["FINDING_NEEDS_REVIEW"]
	r := reason(d, "FINDING_NEEDS_REVIEW")
	r.evidence == {"rule_id": "CODE-012", "file": "pages/pay/pay.js", "line": 40, "severity": "high"}
	r.message == "CODE-012 (high) at pages/pay/pay.js:40 needs a reviewer: payment API used"
}

test_finding_without_severity_goes_to_review if {
	f := json.remove(high, ["severity"])
	d := submission.decision with input as object.union(clean, {"findings": [f]})
	d.outcome == "review"
	reason(d, "FINDING_NEEDS_REVIEW").evidence.severity == ""
}

test_high_finding_without_line_names_the_file_or_the_package if {
	in_file := object.union(high, {"line": 0})
	d := submission.decision with input as object.union(clean, {"findings": [in_file]})
	r := reason(d, "FINDING_NEEDS_REVIEW")
	r.message == "CODE-012 (high) at pages/pay/pay.js needs a reviewer: payment API used"
	r.remediation == "No action needed for this submission; to skip review next time, fix what CODE-012 reports at pages/pay/pay.js."
	package_level := json.remove(high, ["file", "line"])
	at_package := submission.decision with input as object.union(clean, {"findings": [package_level]})
	reason(at_package, "FINDING_NEEDS_REVIEW").message == "CODE-012 (high) at package level needs a reviewer: payment API used"
}

test_unknown_severity_goes_to_review if {
	f := object.union(high, {"severity": "severe"})
	d := submission.decision with input as object.union(clean, {"findings": [f]})
	d.outcome == "review"
}

test_low_findings_do_not_block if {
	fs := [object.union(high, {"severity": s}) | some s in ["medium", "low", "info", "Low", "INFO"]]
	d := submission.decision with input as object.union(clean, {"findings": fs})
	d.outcome == "approve"
}

test_risk_flag_goes_to_review if {
	d := submission.decision with input as with_developer({"risk_flags": ["chargeback_spike"]})
	d.outcome == "review"
	d.queue == "standard"
	reason(d, "RISK_FLAGGED").evidence == {"risk_flag": "chargeback_spike"}
}

test_repeat_offender_goes_to_senior_queue if {
	d := submission.decision with input as object.union(clean, {"history": {"rejections_90d": 3}})
	d.outcome == "review"
	d.queue == "senior"
	d.priority == "high"
	d.approvals_required == 2
	d.sla_hours == 24
	codes(d) == ["REPEAT_OFFENDER"]
}

test_below_repeat_threshold_is_approved if {
	d := submission.decision with input as object.union(clean, {"history": {"rejections_90d": 2}})
	d.outcome == "approve"
}

test_repeat_offender_with_high_finding_stays_senior if {
	d := submission.decision with input as object.union(clean, {"history": {"rejections_90d": 5}, "findings": [high]})
	d.queue == "senior"
	codes(d) == ["FINDING_NEEDS_REVIEW", "REPEAT_OFFENDER"]
}

test_resubmission_of_a_withdrawn_package_goes_to_review if {
	d := submission.decision with input as object.union(clean, {"history": {"withdrawn_same_package": 1}})
	d.outcome == "review"
	d.queue == "standard"
	codes(d) == ["RESUBMITTED_AFTER_WITHDRAWAL"]
	reason(d, "RESUBMITTED_AFTER_WITHDRAWAL").evidence == {"withdrawn_same_package": 1, "threshold": 1, "package_sha256": "00"}
}

test_repeated_withdrawals_of_the_package_are_counted_in_the_message if {
	d := submission.decision with input as object.union(clean, {"history": {"withdrawn_same_package": 3}})
	d.outcome == "review"
	reason(d, "RESUBMITTED_AFTER_WITHDRAWAL").message == "The developer withdrew 3 earlier submissions of this same package and uploaded it again."
}

test_no_withdrawn_copy_of_the_package_is_approved if {
	d := submission.decision with input as object.union(clean, {"history": {"withdrawn_same_package": 0}})
	d.outcome == "approve"
}

test_input_without_the_withdrawal_count_is_approved if {
	d := submission.decision with input as clean
	d.outcome == "approve"
}

test_reject_beats_review if {
	doc := object.union(with_developer({"risk_flags": ["x"]}), {"findings": [critical, high]})
	d := submission.decision with input as doc
	d.outcome == "reject"
	codes(d) == ["MAN-003"]
	not d.queue
}

test_review_beats_approve if {
	doc := object.union(clean, {"findings": [high, object.union(high, {"severity": "low"})]})
	d := submission.decision with input as doc
	d.outcome == "review"
}

test_all_reject_reasons_are_listed_in_order if {
	second := object.union(critical, {"file": "pages/a/a.wxml", "line": 9})
	doc := object.union(
		with_developer({"blacklisted": true, "credit_score": 100, "real_name": {"status": "pending"}}),
		{"findings": [critical, second]},
	)
	d := submission.decision with input as doc
	codes(d) == ["CREDIT_BELOW_THRESHOLD", "DEVELOPER_BLACKLISTED", "MAN-003", "MAN-003", "REALNAME_REQUIRED"]
	{r.evidence.file | some r in d.reasons; r.code == "MAN-003"} == {"pages/a/a.wxml", "pages/x/x.wxml"}
}

test_active_waiver_exempts_the_finding if {
	waiver := {"rule_id": "MAN-003", "app_id": "app-1", "expires_at": "2026-07-01T00:00:00Z"}
	d := submission.decision with input as object.union(clean, {"findings": [critical], "waivers": [waiver]})
	d.outcome == "approve"
}

test_waiver_for_other_app_or_expired_does_not_apply if {
	other_app := {"rule_id": "MAN-003", "app_id": "app-2", "expires_at": "2026-07-01T00:00:00Z"}
	expired := {"rule_id": "MAN-003", "app_id": "app-1", "expires_at": "2026-05-01T00:00:00Z"}
	other_rule := {"rule_id": "MAN-004", "app_id": "app-1", "expires_at": "2026-07-01T00:00:00Z"}
	d := submission.decision with input as object.union(clean, {"findings": [critical], "waivers": [other_app, expired, other_rule]})
	d.outcome == "reject"
}

test_every_reason_has_a_remediation if {
	doc := object.union(
		with_developer({"blacklisted": true, "credit_score": 1, "real_name": {"status": "none"}, "risk_flags": ["x"]}),
		{"findings": [critical, high], "history": {"rejections_90d": 9}},
	)
	rejects := submission.reject_reasons with input as doc
	reviews := submission.review_reasons with input as doc
	count(rejects) == 4
	count(reviews) == 3
	every r in rejects | reviews {
		r.remediation != ""
	}
}
