package policies

import (
	"encoding/json"
	"math"

	"trustgate/policies/vm"
)

// Kinds of RelatedInput.
const (
	// RelatedSubmission is another developer's package linked by code
	// similarity or by indicators it shares with this one.
	RelatedSubmission = "submission"
	// RelatedDeveloper is another developer account linked by identity
	// hashes (identity document, phone, settlement account).
	RelatedDeveloper = "developer"
)

// RelatedInput is one submission or developer account, not the deciding
// developer's own, linked to the submission being decided, and the other
// side's standing at decision time. docs/policy-input.md describes it.
type RelatedInput struct {
	Kind         string `json:"kind"`
	SubmissionID string `json:"submission_id"` // empty for a developer
	AppID        string `json:"app_id"`        // empty for a developer
	DeveloperID  string `json:"developer_id"`
	// Similarity is the estimated share of code the two packages have in
	// common (0 to 1; 0 for a developer or a package linked only by
	// indicators).
	Similarity float64 `json:"similarity"`
	// Shared lists what the two sides have in common, one entry per kind
	// and value; identity hashes carry no value.
	Shared []SharedInput `json:"shared"`
	// DeveloperBlacklisted is the other developer's standing.
	DeveloperBlacklisted bool `json:"developer_blacklisted"`
	// AppStatus is the other app's status (new, live, suspended) and
	// AppReasonCodes, for a suspended app, the codes it was suspended
	// (taken down) with. Empty for a developer.
	AppStatus      string   `json:"app_status"`
	AppReasonCodes []string `json:"app_reason_codes"`
	// SubmissionState is the other submission's state and
	// SubmissionReasonCodes, for a rejected one, the codes it was rejected
	// with. Empty for a developer.
	SubmissionState       string   `json:"submission_state"`
	SubmissionReasonCodes []string `json:"submission_reason_codes"`
}

// SharedInput is one indicator both sides have: Kind is an indicator kind
// of the scan (host, webview_domain, secret_sha256, merchant_id, app_id,
// asset_sha256) or an identity kind (id_document, phone,
// settlement_account). Value is the indicator as found in this package;
// identity hashes have none.
type SharedInput struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// MarshalJSON: see Input.MarshalJSON.
func (r RelatedInput) MarshalJSON() ([]byte, error) {
	type plain RelatedInput
	out := plain(r)
	out.Shared = nonNil(out.Shared)
	out.AppReasonCodes = nonNil(out.AppReasonCodes)
	out.SubmissionReasonCodes = nonNil(out.SubmissionReasonCodes)
	return json.Marshal(out)
}

var (
	relatedKeys = keys("kind", "submission_id", "app_id", "developer_id", "similarity", "shared",
		"developer_blacklisted", "app_status", "app_reason_codes", "submission_state", "submission_reason_codes")
	sharedKeys = keys("kind", "value")
)

// relatedValue is Input.Related in the plan machine's values (see
// input_value.go); a decision has a handful of links at most, so nothing is
// pooled.
func relatedValue(related []RelatedInput) vm.Value {
	out := make([]vm.Value, len(related))
	for i, r := range related {
		shared := make([]vm.Value, len(r.Shared))
		for j, s := range r.Shared {
			shared[j] = vm.NewObject(sharedKeys, []vm.Value{vm.String(s.Kind), vm.String(s.Value)})
		}
		out[i] = vm.NewObject(relatedKeys, []vm.Value{vm.String(r.Kind), vm.String(r.SubmissionID), vm.String(r.AppID),
			vm.String(r.DeveloperID), number(r.Similarity), vm.NewArray(shared...), vm.Bool(r.DeveloperBlacklisted),
			vm.String(r.AppStatus), stringsArray(r.AppReasonCodes), vm.String(r.SubmissionState),
			stringsArray(r.SubmissionReasonCodes)})
	}
	return vm.NewArray(out...)
}

// number writes a float as encoding/json does, which is how OPA reads it
// from the JSON input: an integer when it is one, else its shortest form.
func number(f float64) vm.Value {
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return vm.Int(int64(f))
	}
	b, err := json.Marshal(f)
	if err != nil { // NaN or infinity, which JSON cannot hold
		return vm.Null{}
	}
	return vm.Num(string(b))
}
