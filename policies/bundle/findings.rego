# Findings from the static scans: critical ones reject, high ones (and any
# severity this policy does not know) go to review, and the payment rule asks
# for an enterprise with a payment qualification.
#
# A scan can report hundreds of findings, and this file is where a decision
# spends its time. Each finding is looked at once, in open_findings; the
# rules after it see only the few that matter, already normalised.
package trustgate.submission

# A waiver exempts one app from one rule until its end date; compliance
# grants it, so the policy only checks that it matches and is still running.
# Computed once, so that each finding costs a set lookup instead of a pass
# over the waivers.
waived_rules := {w.rule_id |
	some w in input.waivers
	w.app_id == input.app.id
	time.parse_rfc3339_ns(w.expires_at) > now_ns
}

# Severities that never stop a submission. Anything not listed here or as
# critical goes to a reviewer, so a new or misspelt severity fails closed.
informational_severities := {"medium", "low", "info"}

# The findings that stop or hold a submission, normalised: lower-case
# severity, and every field present so that no reason goes missing because a
# hand-written input left one out.
#
# Most findings of a large scan are informational. The first line after the
# iteration drops those with one builtin and one lookup; only the rest pay
# for lower() and the normalising. A severity in an odd case ("Low") takes
# the long way and is still recognised. (object.get rather than f.severity:
# OPA hoists f.severity out of the negation, and a finding without a
# severity would silently drop out instead of going to review.)
open_findings := [finding |
	some f in input.findings
	raw_severity := object.get(f, "severity", "")
	not informational_severities[raw_severity]
	severity := lower(raw_severity)
	not informational_severities[severity]
	rule_id := object.get(f, "rule_id", "")
	not waived_rules[rule_id]
	finding := {
		"rule_id": rule_id,
		"severity": severity,
		"file": object.get(f, "file", ""),
		"line": object.get(f, "line", 0),
		"message": object.get(f, "message", ""),
		"remediation": object.get(f, "remediation", ""),
	}
]

reject_reasons contains reason if {
	some f in open_findings
	f.severity == "critical"
	location := where(f)

	# The rule ID is the code so that a developer can look the rule up.
	reason := {
		"code": f.rule_id,
		"message": f.message,
		"evidence": {"rule_id": f.rule_id, "file": f.file, "line": f.line, "severity": f.severity},
		"remediation": critical_remediation(f, location),
	}
}

# The scan rule's own advice says what to change; the generic sentence is
# for rules that give none.
critical_remediation(f, location) := sprintf("%s (at %s)", [f.remediation, location]) if {
	is_string(f.remediation)
	f.remediation != ""
} else := sprintf("Fix what %s reports at %s and upload a new version.", [f.rule_id, location])

review_reasons contains reason if {
	some f in open_findings
	f.severity != "critical"
	location := where(f)
	reason := {
		"code": "FINDING_NEEDS_REVIEW",
		"message": sprintf("%s (%s) at %s needs a reviewer: %s", [f.rule_id, f.severity, location, f.message]),
		"evidence": {"rule_id": f.rule_id, "file": f.file, "line": f.line, "severity": f.severity},
		"remediation": sprintf("No action needed for this submission; to skip review next time, fix what %s reports at %s.", [f.rule_id, location]),
	}
}

where(f) := sprintf("%s:%v", [f.file, f.line]) if {
	f.line > 0
} else := f.file if {
	f.file != ""
} else := "package level"

# ---------------------------------------------------------------------------
# Payment APIs: the scan reports their use (an informational finding), and
# only some developers may take payments.

payment_rule_ids := {id | some id in payment.rule_ids}

payment_allowed if {
	input.developer.kind in payment.kinds
	payment.qualification in held_qualifications
}

# Looked at only when payments are not allowed, so the usual enterprise with
# a payment licence pays nothing for this pass.
payment_findings := [f |
	some f in input.findings
	payment_rule_ids[f.rule_id]
	not waived_rules[f.rule_id]
]

reject_reasons contains reason if {
	not payment_allowed
	not input.developer.kind in payment.kinds
	count(payment_findings) > 0
	reason := payment_reason(
		"PAYMENT_REQUIRES_ENTERPRISE",
		sprintf("The package uses payment APIs, which only %v developers may use; this developer is %q.", [concat(" or ", payment.kinds), object.get(input.developer, "kind", "")]),
		"Remove the payment API calls, or publish from a verified enterprise account that holds a payment qualification.",
	)
}

reject_reasons contains reason if {
	not payment_allowed
	input.developer.kind in payment.kinds
	count(payment_findings) > 0
	reason := payment_reason(
		"PAYMENT_QUALIFICATION_MISSING",
		sprintf("The package uses payment APIs, which need the %q qualification; the developer does not hold it.", [payment.qualification]),
		sprintf("Upload the %q qualification in the developer console and wait for it to be verified, or remove the payment API calls.", [payment.qualification]),
	)
}

# One reason however many calls the scan found: the first says where to look,
# the count how many more there are.
payment_reason(code, message, remediation) := {
	"code": code,
	"message": message,
	"evidence": {
		"rule_id": first.rule_id,
		"file": object.get(first, "file", ""),
		"line": object.get(first, "line", 0),
		"occurrences": count(payment_findings),
		"kind": object.get(input.developer, "kind", ""),
		"qualification": payment.qualification,
	},
	"remediation": remediation,
} if {
	first := payment_findings[0]
}
