# Package trustgate.submission decides whether an uploaded mini-program version
# goes live, is rejected, or waits for human review.
#
# The one entry point is `decision`. Rules only collect reasons; the outcome
# follows from which collection is non-empty, so a new gate is one more
# `reject_reasons` or `review_reasons` rule and precedence cannot drift.
# Numbers and lists live in data.json (data.trustgate) so that compliance can
# tune them without touching the rules.
#
# Reason codes are stable. Each is one entry of policies/catalogue.json, with
# its English text (word for word what the rule writes), the Chinese and an
# example input that gives it; docs/reason-codes.md is generated from there.
package trustgate.submission

limits := data.trustgate.thresholds

categories := data.trustgate.categories

payment := data.trustgate.payment

# The clock comes from the input, never from time.now_ns, so that a recorded
# input replays to the same decision.
now_ns := time.parse_rfc3339_ns(input.now)

# Reject beats review beats approve. Every reject reason is listed so that a
# developer can fix everything in one round instead of one reason per upload.
# Reasons are sets here; the engine returns them as a list sorted by code and
# evidence, which keeps sorting (costly in Rego) out of every decision.
#
# Approval repeats its condition: if the review routing in data.json were
# missing a field, the review branch would be undefined, and the decision
# must then be undefined too (the engine fails closed), not fall through to
# an approval.
decision := {"outcome": "reject", "reasons": reject_reasons} if {
	reject_reasons != set()
} else := {
	"outcome": "review",
	"reasons": review_reasons,
	"queue": queue,
	"priority": review_route.priority,
	"approvals_required": review_route.approvals_required,
	"sla_hours": review_route.sla_hours,
} if {
	review_reasons != set()
} else := {"outcome": "approve", "reasons": []} if {
	review_reasons == set()
}

# ---------------------------------------------------------------------------
# Developer trust

reject_reasons contains reason if {
	input.developer.blacklisted == true
	reason := {
		"code": "DEVELOPER_BLACKLISTED",
		"message": "The developer account is blacklisted and cannot publish.",
		"evidence": {"developer_id": input.developer.id, "blacklisted": true},
		"remediation": "Contact platform compliance to contest the blacklisting; no submission is accepted until it is lifted.",
	}
}

# A missing status counts as "none": the gate must not open because a field
# was left out.
real_name_status := object.get(input.developer, ["real_name", "status"], "none")

reject_reasons contains reason if {
	real_name_status != "verified"
	reason := {
		"code": "REALNAME_REQUIRED",
		"message": sprintf("Real-name verification is required to publish; the developer's status is %q.", [real_name_status]),
		"evidence": {"real_name_status": real_name_status, "required": "verified"},
		"remediation": "Complete real-name verification for the developer account (identity document for individuals, business licence for enterprises), then upload again.",
	}
}

reject_reasons contains reason if {
	real_name_status == "verified"
	expires := input.developer.real_name.expires_at
	is_string(expires)
	time.parse_rfc3339_ns(expires) < now_ns
	reason := {
		"code": "REALNAME_EXPIRED",
		"message": sprintf("The developer's real-name verification expired at %s.", [expires]),
		"evidence": {"expires_at": expires, "now": input.now},
		"remediation": "Renew the real-name verification for the developer account, then upload again.",
	}
}

# Category overrides replace the per-kind thresholds one kind at a time, so a
# category may raise the bar for individuals only.
credit_thresholds := object.union(
	limits.credit_score.by_kind,
	object.get(limits.credit_score.by_category, input.app.category, {}),
)

# An unknown kind gets the strictest threshold: a typo must not lower the bar.
credit_threshold := t if {
	t := credit_thresholds[input.developer.kind]
} else := max([t | some t in credit_thresholds])

# A missing or non-numeric score counts as zero, for the same reason.
credit_score := s if {
	s := input.developer.credit_score
	is_number(s)
} else := 0

reject_reasons contains reason if {
	credit_score < credit_threshold
	reason := {
		"code": "CREDIT_BELOW_THRESHOLD",
		"message": sprintf(
			"Credit score %v is below the %v required for %v developers in category %q.",
			[credit_score, credit_threshold, input.developer.kind, input.app.category],
		),
		"evidence": {
			"credit_score": credit_score,
			"threshold": credit_threshold,
			"kind": input.developer.kind,
			"category": input.app.category,
		},
		"remediation": sprintf("Raise the account's credit score to at least %v (settle overdue obligations, complete the credit profile), then upload again.", [credit_threshold]),
	}
}

# Only an exact "enterprise" counts: a missing or misspelt kind is treated as
# an individual, never the other way round.
enterprise if input.developer.kind == "enterprise"

held_qualifications := {q | some q in input.developer.qualifications}

reject_reasons contains reason if {
	input.app.category in categories.enterprise_only
	not enterprise
	reason := {
		"code": "CATEGORY_ENTERPRISE_ONLY",
		"message": sprintf("Category %q is open to enterprise developers only; this developer is %q.", [input.app.category, object.get(input.developer, "kind", "")]),
		"evidence": {"category": input.app.category, "kind": object.get(input.developer, "kind", ""), "required_kind": "enterprise"},
		"remediation": "Publish the app from a verified enterprise account, or choose a category open to individual developers.",
	}
}

reject_reasons contains reason if {
	some required in object.get(categories.qualifications, input.app.category, [])
	not required in held_qualifications
	reason := {
		"code": "QUALIFICATION_MISSING",
		"message": sprintf("Category %q requires the %q qualification, which the developer does not hold.", [input.app.category, required]),
		"evidence": {"category": input.app.category, "qualification": required},
		"remediation": sprintf("Upload the %q qualification (licence) in the developer console and wait for it to be verified, then upload again.", [required]),
	}
}

# Previous rejections alone do not reject, but they send the next submission
# to senior reviewers.
repeat_offender if input.history.rejections_90d >= limits.repeat_offender.rejections_90d

review_reasons contains reason if {
	repeat_offender
	reason := {
		"code": "REPEAT_OFFENDER",
		"message": sprintf("The developer had %v rejections in the last 90 days.", [input.history.rejections_90d]),
		"evidence": {
			"rejections_90d": input.history.rejections_90d,
			"threshold": limits.repeat_offender.rejections_90d,
		},
		"remediation": "No action needed for this submission; senior reviewers will look at it. Fixing findings before upload avoids further rejections.",
	}
}

# Withdrawing a submission and uploading the very same package again (same
# SHA-256) gains an honest developer nothing, as the package did not change;
# it is how one would try to leave a review or a QA look behind. So such a
# resubmission goes to a reviewer. Inputs recorded before the count existed
# have none, which counts as no withdrawal.
withdrawn_same_package := object.get(input.history, "withdrawn_same_package", 0)

review_reasons contains reason if {
	withdrawn_same_package >= limits.resubmission.withdrawn_same_package
	reason := {
		"code": "RESUBMITTED_AFTER_WITHDRAWAL",
		"message": sprintf("The developer withdrew %v earlier submissions of this same package and uploaded it again.", [withdrawn_same_package]),
		"evidence": {
			"withdrawn_same_package": withdrawn_same_package,
			"threshold": limits.resubmission.withdrawn_same_package,
			"package_sha256": input.submission.package_sha256,
		},
		"remediation": "No action needed for this submission; a reviewer will look at it. Withdrawing a package and uploading it unchanged does not skip review.",
	}
}

review_reasons contains reason if {
	some flag in input.developer.risk_flags
	reason := {
		"code": "RISK_FLAGGED",
		"message": sprintf("The developer account carries the risk flag %q.", [flag]),
		"evidence": {"risk_flag": flag},
		"remediation": "No action needed for this submission; a reviewer will look at it. Contact platform compliance if the flag is out of date.",
	}
}

# Repeat offenders and links to blacklisted accounts (linking.rego) go to
# senior reviewers.
senior_review if repeat_offender

senior_review if linked_account

queue := "senior" if senior_review else := "standard"

review_route := limits.review[queue]
