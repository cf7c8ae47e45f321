# Risk control across accounts: what the submission shares with other
# developers' packages and accounts (input.related, taken by the caller with
# the other side's standing at decision time).
#
# The reasons a developer reads name no other account: their evidence is the
# similarity, the threshold and the kind of what is shared, never the other
# app, developer or value. Staff see the links themselves in the decision log
# and the related views.
package trustgate.submission

linking := limits.linking

# A linked package's app was taken down (suspended) or its developer is
# blacklisted: what this link would bring back.
banned_standing(link) := "taken_down" if link.app_status == "suspended"

banned_standing(link) := "blacklisted" if {
	link.app_status != "suspended"
	link.developer_blacklisted == true
}

reject_reasons contains reason if {
	some link in input.related
	link.similarity >= linking.taken_down_similarity
	standing := banned_standing(link)
	reason := {
		"code": "LINKED_TO_TAKEN_DOWN",
		"message": sprintf("The package's code is %v similar to a package of another account whose app was taken down or whose developer is blacklisted.", [link.similarity]),
		"evidence": {"similarity": link.similarity, "threshold": linking.taken_down_similarity, "linked_standing": standing},
		"remediation": "Submissions that bring back an app that was taken down, or the app of a blacklisted developer, are not accepted. If the code is your own work, appeal with evidence of its origin.",
	}
}

# Sharing a merchant ID, settlement account or identity detail with a
# blacklisted account is how a blacklisted operator returns under another
# name; senior reviewers decide.
linked_account_kinds := {s.kind |
	some link in input.related
	link.developer_blacklisted == true
	some s in link.shared
	s.kind in linking.account_kinds
}

linked_account if count(linked_account_kinds) > 0

review_reasons contains reason if {
	some kind in linked_account_kinds
	reason := {
		"code": "LINKED_ACCOUNT",
		"message": sprintf("The submission shares a %v with a blacklisted developer account.", [kind]),
		"evidence": {"shared_kind": kind},
		"remediation": "No action needed for this submission; senior reviewers will look at it. Use only payment accounts and identity details that belong to your own account.",
	}
}

review_reasons contains reason if {
	some link in input.related
	link.similarity >= linking.copy_similarity
	link.app_status == "live"
	reason := {
		"code": "POSSIBLE_COPY",
		"message": sprintf("The package's code is %v similar to a live app of another developer.", [link.similarity]),
		"evidence": {"similarity": link.similarity, "threshold": linking.copy_similarity},
		"remediation": "No action needed for this submission; a reviewer will check that the code is yours or licensed to you. Be ready to show its origin.",
	}
}
