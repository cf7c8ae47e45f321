package activities

import (
	"encoding/json"

	"trustgate/policies"
)

func marshalReasons(r []policies.Reason) (json.RawMessage, error) {
	if r == nil {
		r = []policies.Reason{}
	}
	return json.Marshal(r)
}
