# Personal data: what the scan saw leave the device (input.flows) against
# what the developer declared (input.privacy). docs/policy-input.md
# describes both.
#
# - A declared submission that sends a kind of personal data off the device
#   which its declaration does not list is rejected (PRIVACY_UNDECLARED):
#   the developer said what the app collects, and it collects more.
# - A submission without any declaration that sends personal data off the
#   device goes to review (PRIVACY_DECLARATION_MISSING), or is rejected when
#   data.json says so (privacy.without_declaration). Review by default:
#   the declaration is optional at intake, and a pipeline that predates it
#   must not be rejected for a part it could not send; a reviewer still
#   sees every flow before such an app goes live.
# - Personal data handed to a host the app did not register, one the scan
#   cannot name, another mini-program or a web page goes to review
#   (PRIVACY_THIRD_PARTY): whether that recipient may have it is a
#   judgement, not a rule.
#
# The scan reports the same facts as findings (PRIV-010, PRIV-001); those
# are decided here with the flow as evidence, so the generic finding rules
# leave them alone (privacy.rule_ids, see findings.rego).
package trustgate.submission

privacy := data.trustgate.privacy

# The flows that send personal data off the phone, in the scan's order.
off_device_flows := [f | some f in input.flows; f.off_device == true]

undeclared_flows := [f |
	input.privacy.declared == true
	some f in off_device_flows
	not input.privacy.items[f.source.kind]
]

undeclared_kinds := {f.source.kind | some f in undeclared_flows}

# One reason per kind, pointing at the first place that collects it.
reject_reasons contains reason if {
	some kind in undeclared_kinds
	flows := [f | some f in undeclared_flows; f.source.kind == kind]
	first := flows[0]
	evidence := flow_evidence(first, count(flows))
	reason := {
		"code": "PRIVACY_UNDECLARED",
		"message": sprintf("Personal data of kind %q, collected by %s at %s:%v, leaves the device through %s at %s:%v, but the privacy declaration does not list it.", [kind, evidence.api, evidence.file, evidence.line, evidence.sink_api, evidence.sink_file, evidence.sink_line]),
		"evidence": evidence,
		"remediation": sprintf("Declare %q in the privacy declaration with its purpose and whether it is shared, or stop sending what %s:%v collects.", [kind, evidence.file, evidence.line]),
	}
}

without_declaration_kinds := {f.source.kind |
	input.privacy.declared == false
	some f in off_device_flows
}

missing_declaration_reason(kind) := reason if {
	flows := [f | some f in off_device_flows; f.source.kind == kind]
	evidence := flow_evidence(flows[0], count(flows))
	reason := {
		"code": "PRIVACY_DECLARATION_MISSING",
		"message": sprintf("Personal data of kind %q, collected by %s at %s:%v, leaves the device through %s at %s:%v, and the submission carries no privacy declaration.", [kind, evidence.api, evidence.file, evidence.line, evidence.sink_api, evidence.sink_file, evidence.sink_line]),
		"evidence": evidence,
		"remediation": sprintf("Send a privacy declaration with the submission that lists %q with its purpose (see docs/privacy.md).", [kind]),
	}
}

review_reasons contains missing_declaration_reason(kind) if {
	privacy.without_declaration == "review"
	some kind in without_declaration_kinds
}

reject_reasons contains missing_declaration_reason(kind) if {
	privacy.without_declaration == "reject"
	some kind in without_declaration_kinds
}

# Each flow to a recipient the app did not register: a package has few, and
# each is one thing for the reviewer to check.
review_reasons contains reason if {
	some f in off_device_flows
	f.registered == false
	evidence := object.union(flow_evidence(f, 1), {"endpoint": f.sink.endpoint, "recipient": recipient(f.sink.endpoint)})
	reason := {
		"code": "PRIVACY_THIRD_PARTY",
		"message": sprintf("Personal data of kind %q, collected by %s at %s:%v, goes through %s at %s:%v to %s, which is not a domain registered for the app.", [evidence.data_kind, evidence.api, evidence.file, evidence.line, evidence.sink_api, evidence.sink_file, evidence.sink_line, evidence.recipient]),
		"evidence": evidence,
		"remediation": "No action needed for this submission; a reviewer checks the recipient. To skip review next time, send personal data only to domains registered for the app.",
	}
}

recipient(endpoint) := endpoint if endpoint != ""

else := "a recipient the scan cannot name"

flow_evidence(f, occurrences) := {
	"data_kind": f.source.kind,
	"api": f.source.api,
	"file": f.source.file,
	"line": f.source.line,
	"sink_api": f.sink.api,
	"sink_file": f.sink.file,
	"sink_line": f.sink.line,
	"occurrences": occurrences,
}

# The scan's rules for the same facts, which the rules above decide when
# the input carries flows (an input recorded before flows were policy
# input still has them decided as findings).
privacy_rule_ids := {id | is_array(input.flows); some id in privacy.rule_ids}
