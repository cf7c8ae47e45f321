# Tests for the links to other accounts (linking.rego). They reuse the clean
# input of submission_test.rego, which is approved.
package trustgate.submission_test

import data.trustgate.submission

linked_package(patch) := object.union(
	{
		"kind": "submission", "submission_id": "sub-9", "app_id": "app-9", "developer_id": "dev-9",
		"similarity": 0.9, "shared": [], "developer_blacklisted": false, "app_status": "live",
		"app_reason_codes": [], "submission_state": "approved", "submission_reason_codes": [],
	},
	patch,
)

linked_developer(blacklisted, kinds) := {
	"kind": "developer", "submission_id": "", "app_id": "", "developer_id": "dev-9", "similarity": 0,
	"shared": [{"kind": k, "value": ""} | some k in kinds], "developer_blacklisted": blacklisted,
	"app_status": "", "app_reason_codes": [], "submission_state": "", "submission_reason_codes": [],
}

with_related(links) := object.union(clean, {"related": links})

test_copy_of_a_taken_down_app_is_rejected if {
	d := submission.decision with input as with_related([linked_package({"app_status": "suspended", "app_reason_codes": ["GAMBLING"]})])
	d.outcome == "reject"
	codes(d) == ["LINKED_TO_TAKEN_DOWN"]
	reason(d, "LINKED_TO_TAKEN_DOWN").evidence == {"similarity": 0.9, "threshold": 0.8, "linked_standing": "taken_down"}
}

test_copy_of_a_blacklisted_developers_app_is_rejected if {
	d := submission.decision with input as with_related([linked_package({"developer_blacklisted": true, "app_status": "new"})])
	codes(d) == ["LINKED_TO_TAKEN_DOWN"]
	reason(d, "LINKED_TO_TAKEN_DOWN").evidence.linked_standing == "blacklisted"
}

test_the_reason_names_no_other_account if {
	d := submission.decision with input as with_related([linked_package({"app_status": "suspended"})])
	r := reason(d, "LINKED_TO_TAKEN_DOWN")
	not contains(r.message, "app-9")
	not contains(r.message, "dev-9")
	not contains(json.marshal(r.evidence), "9\"")
}

test_below_the_threshold_a_taken_down_app_is_no_reason if {
	d := submission.decision with input as with_related([linked_package({"similarity": 0.79, "app_status": "suspended"})])
	d.outcome == "approve"
}

test_sharing_a_settlement_account_with_a_blacklisted_developer_goes_to_senior_review if {
	d := submission.decision with input as with_related([linked_developer(true, ["settlement_account", "phone"])])
	d.outcome == "review"
	d.queue == "senior"
	d.approvals_required == 2
	codes(d) == ["LINKED_ACCOUNT", "LINKED_ACCOUNT"]
	{r.evidence.shared_kind | some r in d.reasons} == {"settlement_account", "phone"}
}

test_sharing_a_merchant_id_with_a_blacklisted_developers_package_goes_to_senior_review if {
	link := linked_package({"similarity": 0.1, "developer_blacklisted": true, "shared": [{"kind": "merchant_id", "value": "2088"}]})
	d := submission.decision with input as with_related([link])
	codes(d) == ["LINKED_ACCOUNT"]
	d.queue == "senior"
}

test_sharing_a_host_with_a_blacklisted_developer_is_no_reason if {
	link := linked_package({"similarity": 0.1, "developer_blacklisted": true, "shared": [{"kind": "host", "value": "api.example.com"}]})
	d := submission.decision with input as with_related([link])
	d.outcome == "approve"
}

test_sharing_an_identity_with_a_developer_in_good_standing_is_no_reason if {
	d := submission.decision with input as with_related([linked_developer(false, ["phone"])])
	d.outcome == "approve"
}

test_copy_of_another_developers_live_app_goes_to_review if {
	d := submission.decision with input as with_related([linked_package({})])
	d.outcome == "review"
	d.queue == "standard"
	codes(d) == ["POSSIBLE_COPY"]
	reason(d, "POSSIBLE_COPY").evidence == {"similarity": 0.9, "threshold": 0.8}
}

test_similar_to_a_rejected_submission_of_an_app_never_live_is_no_reason if {
	d := submission.decision with input as with_related([linked_package({"app_status": "new", "submission_state": "rejected", "submission_reason_codes": ["FINDING_CRITICAL"]})])
	d.outcome == "approve"
}

test_an_input_without_related_is_decided_as_before if {
	d := submission.decision with input as json.remove(clean, ["related"])
	d.outcome == "approve"
}
