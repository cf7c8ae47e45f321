package server

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"trustgate/internal/linkkey"
	"trustgate/internal/store"
	"trustgate/scan"
)

// What links a submission or a developer to other accounts, for staff
// only (the route table admits no developer): a link names another
// developer's app and what the two share.

// relatedMinSimilarity is the code similarity from which another package
// is shown as linked; the decision's input uses the same floor
// (activities.RelatedMinSimilarity).
const relatedMinSimilarity = 0.5

// maxFilePairs bounds the pairs of most similar files shown per link.
const maxFilePairs = 5

// relatedLink is a link as staff see it: for a code link, the pairs of the
// two packages' most similar files.
type relatedLink struct {
	store.Link
	SimilarFiles []scan.FilePair `json:"similar_files,omitempty"`
}

type relatedAnswer struct {
	SubmissionID string        `json:"submission_id,omitempty"`
	DeveloperID  string        `json:"developer_id"`
	Links        []relatedLink `json:"links"`
}

// submissionRelated lists what links a submission to other developers'
// packages and accounts, with their standing now.
func (s *Server) submissionRelated(c *gin.Context) {
	ctx := c.Request.Context()
	sub, err := s.loadVisible(c)
	if err != nil {
		fail(c, err)
		return
	}
	links, err := s.Store.Related(ctx, sub.ID, store.RelatedOptions{MinSimilarity: relatedMinSimilarity})
	if err != nil {
		fail(c, err)
		return
	}
	ans := relatedAnswer{SubmissionID: sub.ID, DeveloperID: sub.DeveloperID, Links: make([]relatedLink, 0, len(links))}
	own, _, err := s.Store.Fingerprint(ctx, sub.ID)
	if err != nil {
		fail(c, err)
		return
	}
	for _, l := range links {
		rl := relatedLink{Link: l}
		if l.Similarity > 0 {
			other, _, err := s.Store.Fingerprint(ctx, l.SubmissionID)
			if err != nil {
				fail(c, err)
				return
			}
			rl.SimilarFiles = scan.MostSimilarFiles(fileFingerprints(own), fileFingerprints(other), maxFilePairs)
		}
		ans.Links = append(ans.Links, rl)
	}
	c.JSON(http.StatusOK, ans)
}

// developerRelated lists what links a developer's recent submissions and
// identity to other developers.
func (s *Server) developerRelated(c *gin.Context) {
	links, err := s.Store.RelatedToDeveloper(c.Request.Context(), c.Param("id"), store.RelatedOptions{MinSimilarity: relatedMinSimilarity})
	if err != nil {
		fail(c, err)
		return
	}
	ans := relatedAnswer{DeveloperID: c.Param("id"), Links: make([]relatedLink, 0, len(links))}
	for _, l := range links {
		ans.Links = append(ans.Links, relatedLink{Link: l})
	}
	c.JSON(http.StatusOK, ans)
}

// identityRequest is the identity details the identity provider holds for
// a developer. They are hashed with the deployment's key as they arrive
// and never stored, logged or answered as given.
type identityRequest struct {
	IDDocument        *string `json:"id_document"`
	Phone             *string `json:"phone"`
	SettlementAccount *string `json:"settlement_account"`
}

// maxIdentityValue bounds an identity detail before it is hashed.
const maxIdentityValue = 128

// hashes turns the details given into keyed hashes; a detail left out
// keeps the hash stored before.
func (r *identityRequest) hashes(key linkkey.Key) ([]store.IdentityHash, error) {
	if r == nil {
		return nil, nil
	}
	var out []store.IdentityHash
	for _, f := range []struct {
		kind, field string
		value       *string
	}{
		{linkkey.IDDocument, "identity.id_document", r.IDDocument},
		{linkkey.Phone, "identity.phone", r.Phone},
		{linkkey.SettlementAccount, "identity.settlement_account", r.SettlementAccount},
	} {
		if f.value == nil {
			continue
		}
		if len(*f.value) > maxIdentityValue {
			return nil, invalid(f.field, "at most 128 bytes")
		}
		h, err := key.Hash(f.kind, *f.value)
		switch {
		case errors.Is(err, linkkey.ErrNoKey):
			return nil, err // a wiring fault, answered as an internal error
		case err != nil:
			// The answer names the field, never the value.
			return nil, invalid(f.field, "empty after removing spaces and separators")
		}
		out = append(out, store.IdentityHash{Kind: f.kind, Hash: h})
	}
	return out, nil
}

// fileFingerprints gives stored per-file signatures back the scanner's
// shape, so the pairs a reviewer sees are computed by the scanner's own
// MostSimilarFiles.
func fileFingerprints(fp store.Fingerprint) scan.CodeFingerprint {
	out := scan.CodeFingerprint{Files: make([]scan.FileFingerprint, 0, len(fp.Files))}
	for _, f := range fp.Files {
		out.Files = append(out.Files, scan.FileFingerprint(f))
	}
	return out
}
