package submission

import (
	"encoding/json"
	"testing"
)

func TestForDeveloperShowsRolesNotNames(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, stored, want string }{
		{"a reviewer's rejection shows the role",
			`[{"code":"X","evidence":{"task_id":"t1","reviewer":"alice","reviewer_role":"senior_reviewer"}}]`,
			`[{"code":"X","evidence":{"reviewer":"senior_reviewer","task_id":"t1"}}]`},
		{"a rejection kept before roles were shows a reviewer",
			`[{"code":"X","evidence":{"task_id":"t1","reviewer":"alice"}}]`,
			`[{"code":"X","evidence":{"reviewer":"reviewer","task_id":"t1"}}]`},
		{"a takedown's reasons and who did it",
			`{"by":"bob","reasons":[{"code":"X","evidence":{"by":"bob","by_role":"senior_reviewer"}}],"workflow_id":"w"}`,
			`{"by":"reviewer","reasons":[{"code":"X","evidence":{"by":"senior_reviewer"}}],"workflow_id":"w"}`},
		{"policy evidence is left as it is",
			`[{"code":"CREDIT","evidence":{"threshold":700,"value":650}}]`,
			`[{"code":"CREDIT","evidence":{"threshold":700,"value":650}}]`},
		{"a document that does not decode is not shown", `[{"reviewer":"alice"`, `null`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := string(ForDeveloper(json.RawMessage(tc.stored))); got != tc.want {
				t.Fatalf("ForDeveloper(%s) = %s, want %s", tc.stored, got, tc.want)
			}
		})
	}
}

func TestHidePeopleLeavesTheStoredDocument(t *testing.T) {
	t.Parallel()
	stored := map[string]any{"reviewer": "alice", "nested": json.RawMessage(`{"by":"bob"}`)}
	got := HidePeople(stored).(map[string]any)
	if stored["reviewer"] != "alice" || got["reviewer"] != "reviewer" {
		t.Fatalf("stored %v, shown %v", stored, got)
	}
	if string(got["nested"].(json.RawMessage)) != `{"by":"reviewer"}` {
		t.Fatalf("nested raw JSON: %s", got["nested"])
	}
}
