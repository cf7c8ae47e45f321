package activities

import (
	"context"
	"encoding/json"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"trustgate/policies"
	"trustgate/scan"
	"trustgate/workflows"
)

// storedFlow is a flow as a submission keeps it: the scan's flow, and the
// two judgements the policy reads, made once at scan time against the
// app's domains as they were then.
type storedFlow struct {
	scan.Flow
	OffDevice  bool `json:"off_device"`
	Registered bool `json:"registered"`
}

// privacyOptions gives the scan the declaration and policy text the
// submission was sent with. Intake validated the declaration; one that no
// longer parses (a row written some other way) is an input no retry fixes.
func (a *Activities) privacyOptions(ctx context.Context, id string, opts *scan.Options) error {
	p, err := a.Store.GetSubmissionPrivacy(ctx, id)
	if err != nil {
		return a.permanent(err)
	}
	opts.PrivacyPolicy = p.PolicyText
	if len(p.Declaration) == 0 {
		return nil
	}
	decl, err := scan.ParsePrivacyDeclaration(p.Declaration)
	if err != nil {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("privacy declaration of %s: %v", id, err), workflows.ErrTypeBadDeclaration, err)
	}
	opts.Privacy = &decl
	return nil
}

// saveFlows stores the scan's flows with the submission, replacing those
// of an earlier run.
func (a *Activities) saveFlows(ctx context.Context, id string, flows []scan.Flow, domains []string) error {
	out := make([]storedFlow, len(flows))
	for i, f := range flows {
		out[i] = storedFlow{Flow: f, OffDevice: f.LeavesDevice(), Registered: scan.HostRegistered(domains, f.Sink.Endpoint)}
	}
	raw, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("encode flows of %s: %w", id, err)
	}
	return a.Store.SaveFlows(ctx, id, raw)
}

// privacyInput is the decision's view of the submission's flows and
// declaration.
func (a *Activities) privacyInput(ctx context.Context, id string) ([]policies.FlowInput, policies.PrivacyInput, error) {
	p, err := a.Store.GetSubmissionPrivacy(ctx, id)
	if err != nil {
		return nil, policies.PrivacyInput{}, a.permanent(err)
	}
	var stored []storedFlow
	if len(p.Flows) > 0 {
		if err := json.Unmarshal(p.Flows, &stored); err != nil {
			return nil, policies.PrivacyInput{}, fmt.Errorf("decode flows of %s: %w", id, err)
		}
	}
	flows := make([]policies.FlowInput, len(stored))
	for i, f := range stored {
		flows[i] = policies.FlowInput{
			Source: policies.FlowSourceInput{API: f.Source.API, Kind: f.Source.Kind, File: f.Source.File, Line: f.Source.Line},
			Sink: policies.FlowSinkInput{API: f.Sink.API, File: f.Sink.File, Line: f.Sink.Line,
				Endpoint: f.Sink.Endpoint, Scheme: f.Sink.Scheme},
			OffDevice: f.OffDevice, Registered: f.Registered,
		}
	}
	privacy := policies.PrivacyInput{PolicyTextGiven: p.PolicyText != "", Items: map[string]policies.PrivacyItemInput{}}
	if len(p.Declaration) > 0 {
		var decl scan.PrivacyDeclaration
		if err := json.Unmarshal(p.Declaration, &decl); err != nil {
			return nil, policies.PrivacyInput{}, fmt.Errorf("decode privacy declaration of %s: %w", id, err)
		}
		privacy.Declared = true
		for _, item := range decl.Items {
			privacy.Items[item.Kind] = policies.PrivacyItemInput{Purpose: item.Purpose, ThirdParty: item.ThirdParty}
		}
	}
	return flows, privacy, nil
}
