package submission

import "encoding/json"

// Where a person's decision names them. A reviewer's rejection puts the
// reviewer's subject and role in each reason's evidence; a takedown, a
// suspension or a reinstatement puts who did it under "by". Staff read the
// names (who decided is part of the review record); a developer, and the
// webhooks that go to their servers, read only the role, so a reviewer is
// not named to the people whose work they judge.
const (
	EvidenceReviewer     = "reviewer"
	EvidenceReviewerRole = "reviewer_role"
	EvidenceBy           = "by"
	EvidenceByRole       = "by_role"
)

// personKeys maps a key that names a person to the key of their role beside
// it. Without the role (records written before it was kept), a developer
// sees "reviewer": every role that decides is one.
var personKeys = map[string]string{EvidenceReviewer: EvidenceReviewerRole, EvidenceBy: EvidenceByRole}

const unknownRole = "reviewer"

// ForDeveloper rewrites a stored JSON document (a submission's reasons, an
// app event's detail, a webhook's data) as its developer may see it: at any
// depth, the value of a key that names a person becomes that person's role,
// and the role key beside it goes. A document that does not decode is
// returned as null, not as stored: showing a name by mistake is the failure
// this exists to prevent.
func ForDeveloper(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return raw
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return json.RawMessage("null")
	}
	out, err := json.Marshal(HidePeople(v))
	if err != nil {
		return json.RawMessage("null")
	}
	return out
}

// HidePeople is ForDeveloper on a decoded document (maps, slices, and
// json.RawMessage values in them); it returns a copy and leaves v as it was.
func HidePeople(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = HidePeople(e)
		}
		for nameKey, roleKey := range personKeys {
			if _, ok := v[nameKey]; !ok {
				continue
			}
			role, _ := v[roleKey].(string)
			if role == "" {
				role = unknownRole
			}
			out[nameKey] = role
			delete(out, roleKey)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = HidePeople(e)
		}
		return out
	case json.RawMessage:
		return ForDeveloper(v)
	default:
		return v
	}
}
