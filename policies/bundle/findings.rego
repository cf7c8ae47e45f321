# Findings from the static scans: critical ones reject, high ones (and any
# severity this policy does not know) go to review, and the payment rule asks
# for an enterprise with a payment qualification.
#
# A scan can report hundreds of findings, and this file is where a decision
# spends its time. What a finding costs in OPA's evaluator is the number of
# expressions it goes through, and a builtin call, a negation, a function call
# or a lookup in another rule's value costs several plain ones. So the one
# pass over every finding (possibly_open_findings) does as little as it can;
# open_findings normalises the few that remain, and the reason rules see
# only those.
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

# Medium, low and info are the severities that never stop a submission.
# Anything else that is not critical goes to a reviewer, so a new or misspelt
# severity fails closed. Most findings of a large scan are informational, and
# the pass over all of them only compares the severity with the three
# spellings the scan writes; a severity in another case ("Low") stays in, and
# open_findings recognises it after lower().
#
# A finding without a severity would drop out of that pass. The check below
# notices it, and only then are findings looked at again, so that such a
# finding goes to review instead of silently disappearing. (It looks for a
# finding whose severity is undefined or false rather than counting those
# that have one, which would build a list as long as the scan's.)
possibly_open_findings := array.concat(
	[f |
		some f in input.findings
		severity := f.severity
		severity != "medium"
		severity != "low"
		severity != "info"
	],
	unrated_findings,
)

unrated_findings := [f | some f in input.findings; object.get(f, "severity", null) == null] if {
	some f in input.findings
	not f.severity
} else := []

# The findings that stop or hold a submission, normalised: lower-case
# severity, and every field present so that no reason goes missing because a
# hand-written input left one out. Each is kept as the evidence its reason
# shows, with the finding's own text beside it, so that the reason rules
# build no second object and look nothing up twice.
open_findings := [finding |
	some f in possibly_open_findings
	severity := lower(object.get(f, "severity", ""))
	severity != "medium"
	severity != "low"
	severity != "info"
	rule_id := object.get(f, "rule_id", "")
	not waived_rules[rule_id]
	not privacy_rule_ids[rule_id]
	finding := {
		"evidence": {
			"rule_id": rule_id,
			"file": object.get(f, "file", ""),
			"line": object.get(f, "line", 0),
			"severity": severity,
		},
		"message": object.get(f, "message", ""),
		"remediation": object.get(f, "remediation", ""),
	}
]

reject_reasons contains reason if {
	some f in open_findings
	evidence := f.evidence
	evidence.severity == "critical"

	# The rule ID is the code so that a developer can look the rule up.
	reason := {
		"code": evidence.rule_id,
		"message": f.message,
		"evidence": evidence,
		"remediation": critical_remediation(f, where(evidence.file, evidence.line)),
	}
}

# The scan rule's own advice says what to change; the generic sentence is
# for rules that give none.
critical_remediation(f, location) := sprintf("%s (at %s)", [f.remediation, location]) if {
	is_string(f.remediation)
	f.remediation != ""
} else := sprintf("Fix what %s reports at %s and upload a new version.", [f.evidence.rule_id, location])

# Nearly every finding has a line, and its reason is written without a call
# to where(): a function call costs a finding more than the rest of its
# reason. The rule after it writes the same sentences for the others. Each
# field of the evidence is looked up once, into a variable, rather than
# once per sentence that shows it.
review_reasons contains reason if {
	some f in open_findings
	evidence := f.evidence
	line := evidence.line
	line > 0
	severity := evidence.severity
	severity != "critical"
	rule_id := evidence.rule_id
	file := evidence.file
	reason := {
		"code": "FINDING_NEEDS_REVIEW",
		"message": sprintf("%s (%s) at %s:%v needs a reviewer: %s", [rule_id, severity, file, line, f.message]),
		"evidence": evidence,
		"remediation": sprintf("No action needed for this submission; to skip review next time, fix what %s reports at %s:%v.", [rule_id, file, line]),
	}
}

review_reasons contains reason if {
	some f in open_findings
	evidence := f.evidence
	line := evidence.line
	line <= 0
	severity := evidence.severity
	severity != "critical"
	rule_id := evidence.rule_id
	location := where(evidence.file, line)
	reason := {
		"code": "FINDING_NEEDS_REVIEW",
		"message": sprintf("%s (%s) at %s needs a reviewer: %s", [rule_id, severity, location, f.message]),
		"evidence": evidence,
		"remediation": sprintf("No action needed for this submission; to skip review next time, fix what %s reports at %s.", [rule_id, location]),
	}
}

where(file, line) := sprintf("%s:%v", [file, line]) if {
	line > 0
} else := file if {
	file != ""
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
# a payment licence pays nothing for this pass. The rule IDs are bound to a
# local array first: a lookup in another rule's value, or in a set, costs
# each finding several times a comparison.
payment_findings := fs if {
	ids := [id | some id in payment_rule_ids]
	fs := [f |
		some f in input.findings
		some id in ids
		f.rule_id == id
		not waived_rules[id]
	]
}

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
