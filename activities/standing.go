package activities

import (
	"context"
)

// LiveApp is a live app and the submission that made it live.
type LiveApp struct {
	AppID        string `json:"app_id"`
	SubmissionID string `json:"submission_id"`
}

// LiveApps lists a developer's live apps, for a re-check after their
// standing changed.
func (a *Activities) LiveApps(ctx context.Context, developerID string) ([]LiveApp, error) {
	apps, err := a.Store.LiveApps(ctx, developerID)
	if err != nil {
		return nil, err
	}
	out := make([]LiveApp, 0, len(apps))
	for _, app := range apps {
		out = append(out, LiveApp{AppID: app.ID, SubmissionID: *app.LiveSubmissionID})
	}
	return out, nil
}

// AppEventInput adds an entry to an app's history.
type AppEventInput struct {
	AppID        string         `json:"app_id"`
	SubmissionID string         `json:"submission_id"`
	Kind         string         `json:"kind"`
	Detail       map[string]any `json:"detail"`
	DedupeKey    string         `json:"dedupe_key"`
}

// AppEvent records what happened to an app (a re-check opened or passed).
func (a *Activities) AppEvent(ctx context.Context, in AppEventInput) error {
	return a.permanent(a.Store.AddAppEvent(ctx, in.AppID, in.Kind, optional(in.SubmissionID), in.Detail, in.DedupeKey))
}
