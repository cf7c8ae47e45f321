package activities

import (
	"context"

	"trustgate/internal/store"
	"trustgate/policies"
	"trustgate/scan"
	"trustgate/workflows"
)

// RelatedMinSimilarity is the code similarity from which another
// developer's package counts as linked in the decision's input. Below
// it, unrelated packages' similarity is noise (docs/linking.md: of 1,000
// pairs of different real components none reached 0.5); the policy's own
// thresholds (data.json) sit above it.
const RelatedMinSimilarity = 0.5

// maxRelated bounds the links a decision's input carries.
const maxRelated = 20

// DefaultCommonModuleDevelopers is how many other developers must ship the
// same module (the same signature: renamed, reformatted or minified alike)
// before a fingerprint treats it as a library and leaves it out. Only
// real-name verified developers who are not blacklisted are counted
// (store.SaveScan). A library copied into an app's own folders reaches it
// quickly; to hide a taken-down app's code this way, a copier would need
// nine more verified accounts shipping it (the original author is one of
// the ten).
const DefaultCommonModuleDevelopers = 10

// commonModules is the scan's question "which of these modules do many
// developers ship", answered by the store's counts.
func (a *Activities) commonModules(ctx context.Context, developerID string) func([][]uint32) ([]bool, error) {
	n := a.CommonModuleDevelopers
	if n <= 0 {
		n = DefaultCommonModuleDevelopers
	}
	return func(sigs [][]uint32) ([]bool, error) {
		return a.Store.CommonModules(ctx, sigs, n, developerID)
	}
}

// scanResult is what a scan leaves stored: its findings, and the
// fingerprint and indicators that link the package to others.
func scanResult(sub store.Submission, findings []store.Finding, report scan.Report) store.ScanResult {
	r := store.ScanResult{SubmissionID: sub.ID, DeveloperID: sub.DeveloperID, AppID: sub.AppID, Findings: findings,
		Fingerprint: store.Fingerprint{MinHash: report.Fingerprint.MinHash, Shingles: report.Fingerprint.Shingles}}
	for _, f := range report.Fingerprint.Files {
		r.Fingerprint.Files = append(r.Fingerprint.Files, store.FileSignature(f))
	}
	for _, ind := range report.Indicators {
		r.Indicators = append(r.Indicators, store.Indicator(ind))
	}
	return r
}

// related is the decision's snapshot of what links the submission to
// other developers, and where they stand now.
func (a *Activities) related(ctx context.Context, submissionID string) ([]policies.RelatedInput, error) {
	links, err := a.Store.Related(ctx, submissionID, store.RelatedOptions{MinSimilarity: RelatedMinSimilarity, Limit: maxRelated})
	if err != nil {
		return nil, err
	}
	return RelatedInput(links), nil
}

// RelatedInput turns stored links into the policy's related input.
func RelatedInput(links []store.Link) []policies.RelatedInput {
	if len(links) == 0 {
		return nil
	}
	out := make([]policies.RelatedInput, 0, len(links))
	for _, l := range links {
		r := policies.RelatedInput{
			Kind: l.Kind, SubmissionID: l.SubmissionID, AppID: l.AppID, DeveloperID: l.DeveloperID,
			Similarity: l.Similarity, DeveloperBlacklisted: l.DeveloperBlacklisted,
			AppStatus: l.AppStatus, AppReasonCodes: l.AppReasonCodes,
			SubmissionState: l.SubmissionState, SubmissionReasonCodes: l.SubmissionReasonCodes,
			Shared: make([]policies.SharedInput, 0, len(l.Shared)),
		}
		for _, s := range l.Shared {
			r.Shared = append(r.Shared, policies.SharedInput{Kind: s.Kind, Value: s.Value})
		}
		out = append(out, r)
	}
	return out
}

// LinkedLiveApps lists the live apps of other developers linked to an app
// that was taken down or to a developer who was blacklisted (by code
// similarity, shared indicators or identity), each with the submission
// that made it live, for a re-check under the active policy.
func (a *Activities) LinkedLiveApps(ctx context.Context, in workflows.LinkedAppsInput) ([]workflows.LiveApp, error) {
	opt := store.RelatedOptions{MinSimilarity: RelatedMinSimilarity, Limit: maxRelated}
	var links []store.Link
	switch {
	case in.AppID != "":
		app, err := a.Store.GetApp(ctx, in.AppID)
		if err != nil {
			return nil, a.permanent(err)
		}
		if app.LiveSubmissionID == nil {
			return nil, nil
		}
		if links, err = a.Store.Related(ctx, *app.LiveSubmissionID, opt); err != nil {
			return nil, err
		}
	case in.DeveloperID != "":
		var err error
		if links, err = a.Store.RelatedToDeveloper(ctx, in.DeveloperID, opt); err != nil {
			return nil, a.permanent(err)
		}
	}
	var out []workflows.LiveApp
	seen := map[string]bool{}
	for _, l := range links {
		if l.AppStatus != "live" || seen[l.AppID] {
			continue
		}
		seen[l.AppID] = true
		app, err := a.Store.GetApp(ctx, l.AppID)
		if err != nil {
			return nil, err
		}
		if app.Status == "live" && app.LiveSubmissionID != nil {
			out = append(out, workflows.LiveApp{AppID: app.ID, SubmissionID: *app.LiveSubmissionID})
		}
	}
	return out, nil
}
