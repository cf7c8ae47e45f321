package store_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"trustgate/internal/store"
)

// A submission keeps the declaration and policy text it was sent with;
// saving flows twice leaves the last ones; without either, both read as
// not given.
func TestSubmissionKeepsItsPrivacyAndFlows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	decl := json.RawMessage(`{"items": [{"kind": "location", "purpose": "nearby shops"}]}`)
	sub, _, err := f.db.Store.CreateSubmission(ctx, store.NewSubmission{
		AppID: f.app.ID, DeveloperID: f.dev.ID, Version: "1.0.0", PackageSHA256: shaOf("p1"), PackageBytes: 10,
		Privacy: decl, PrivacyPolicy: "我们会收集您的位置信息。",
	})
	require.NoError(t, err)
	p, err := f.db.Store.GetSubmissionPrivacy(ctx, sub.ID)
	require.NoError(t, err)
	require.JSONEq(t, string(decl), string(p.Declaration))
	require.Equal(t, "我们会收集您的位置信息。", p.PolicyText)
	require.Nil(t, p.Flows, "not scanned yet")

	require.NoError(t, f.db.Store.SaveFlows(ctx, sub.ID, json.RawMessage(`[{"source": {"api": "wx.getLocation"}}, {"source": {"api": "wx.getPhoneNumber"}}]`)))
	require.NoError(t, f.db.Store.SaveFlows(ctx, sub.ID, json.RawMessage(`[{"source": {"api": "wx.getLocation"}}]`)))
	p, err = f.db.Store.GetSubmissionPrivacy(ctx, sub.ID)
	require.NoError(t, err)
	require.JSONEq(t, `[{"source": {"api": "wx.getLocation"}}]`, string(p.Flows))

	require.Error(t, f.db.Store.SaveFlows(ctx, sub.ID, json.RawMessage(`{"not": "a list"}`)), "the schema holds flows to a list")
	require.ErrorIs(t, f.db.Store.SaveFlows(ctx, "sub_none", json.RawMessage(`[]`)), store.ErrNotFound)

	plain, _ := f.submit(t, "1.0.1", "", "")
	p, err = f.db.Store.GetSubmissionPrivacy(ctx, plain.ID)
	require.NoError(t, err)
	require.Nil(t, p.Declaration)
	require.Empty(t, p.PolicyText)
}
