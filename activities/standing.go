package activities

import (
	"context"

	"trustgate/workflows"
)

// LiveApps lists a developer's live apps, for a re-check after their
// standing changed.
func (a *Activities) LiveApps(ctx context.Context, developerID string) ([]workflows.LiveApp, error) {
	apps, err := a.Store.LiveApps(ctx, developerID)
	if err != nil {
		return nil, err
	}
	out := make([]workflows.LiveApp, 0, len(apps))
	for _, app := range apps {
		out = append(out, workflows.LiveApp{AppID: app.ID, SubmissionID: *app.LiveSubmissionID})
	}
	return out, nil
}

// AppEvent records what happened to an app (a re-check opened or passed).
func (a *Activities) AppEvent(ctx context.Context, in workflows.AppEventInput) error {
	return a.permanent(a.Store.AddAppEvent(ctx, in.AppID, in.Kind, optional(in.SubmissionID), in.Detail, in.DedupeKey))
}
