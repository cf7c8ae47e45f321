package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
)

// Link kinds.
const (
	LinkSubmission = "submission" // another developer's package
	LinkDeveloper  = "developer"  // another developer account, by identity hashes
)

// Link is another developer's submission or account linked to the one
// looked up, what the two share and where the other side stands. It is
// staff's view and the decision's input; no developer is shown one.
type Link struct {
	Kind string `json:"kind"`
	LinkStanding
	// Similarity is the estimated share of code in common (0 when the
	// link is by indicators or identity only).
	Similarity float64 `json:"similarity"`
	// Shared is what both sides have, by kind and value; identity hashes
	// have no value.
	Shared []Shared `json:"shared"`
}

// Shared is one indicator or identity kind two sides have in common.
type Shared struct {
	Kind  string `json:"kind"`
	Value string `json:"value,omitempty"`
}

// RelatedOptions bound a related lookup.
type RelatedOptions struct {
	MinSimilarity float64 // code links below this are not links
	Limit         int     // links returned at most (most similar first)
}

// Related finds what links a submission to other developers: packages
// whose code is at least MinSimilarity similar, packages sharing an
// indicator with it, and accounts sharing an identity hash with its
// developer, each with the other side's standing now.
func (s *Store) Related(ctx context.Context, submissionID string, opt RelatedOptions) ([]Link, error) {
	sub, err := s.GetSubmission(ctx, submissionID)
	if err != nil {
		return nil, err
	}
	return s.related(ctx, sub.DeveloperID, []string{submissionID}, opt)
}

// RelatedToDeveloper is Related for a developer: the links of their most
// recent submissions (at most maxDeveloperSubmissions) and of their
// identity, other developers' only.
func (s *Store) RelatedToDeveloper(ctx context.Context, developerID string, opt RelatedOptions) ([]Link, error) {
	if _, err := s.GetDeveloper(ctx, developerID); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT id FROM submissions WHERE developer_id = $1 ORDER BY id DESC LIMIT $2`,
		developerID, maxDeveloperSubmissions)
	if err != nil {
		return nil, fmt.Errorf("submissions of %s: %w", developerID, err)
	}
	var ids []string
	for _, err := range pgxRows(rows) {
		if err != nil {
			return nil, fmt.Errorf("submissions of %s: %w", developerID, err)
		}
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("submissions of %s: %w", developerID, err)
		}
		ids = append(ids, id)
	}
	return s.related(ctx, developerID, ids, opt)
}

const (
	maxDeveloperSubmissions = 20
	perIndicatorLinks       = 20
	defaultLinkLimit        = 50
)

func (s *Store) related(ctx context.Context, developerID string, submissionIDs []string, opt RelatedOptions) ([]Link, error) {
	if opt.Limit <= 0 {
		opt.Limit = defaultLinkLimit
	}
	links := map[string]*Link{}
	link := func(key, kind string) *Link {
		l := links[key]
		if l == nil {
			l = &Link{Kind: kind}
			links[key] = l
		}
		return l
	}
	share := func(l *Link, kind, value string) {
		sh := Shared{Kind: kind, Value: value}
		if !slices.Contains(l.Shared, sh) {
			l.Shared = append(l.Shared, sh)
		}
	}
	for _, id := range submissionIDs {
		fp, ok, err := s.Fingerprint(ctx, id)
		if err != nil {
			return nil, err
		}
		if ok {
			matches, err := s.RelatedByCode(ctx, fp.MinHash, opt.MinSimilarity, developerID, opt.Limit)
			if err != nil {
				return nil, err
			}
			for _, m := range matches {
				l := link(m.SubmissionID, LinkSubmission)
				l.SubmissionID, l.AppID, l.DeveloperID = m.SubmissionID, m.AppID, m.DeveloperID
				l.Similarity = max(l.Similarity, m.Similarity)
			}
		}
		inds, err := s.Indicators(ctx, id)
		if err != nil {
			return nil, err
		}
		if len(inds) > 0 {
			matches, err := s.RelatedByIndicators(ctx, inds, nil, developerID, perIndicatorLinks)
			if err != nil {
				return nil, err
			}
			for _, m := range matches {
				l := link(m.SubmissionID, LinkSubmission)
				l.SubmissionID, l.AppID, l.DeveloperID = m.SubmissionID, m.AppID, m.DeveloperID
				share(l, m.Kind, m.Value)
			}
		}
	}
	identity, err := s.DeveloperIdentity(ctx, developerID)
	if err != nil {
		return nil, err
	}
	if len(identity) > 0 {
		matches, err := s.RelatedByIndicators(ctx, nil, identity, developerID, perIndicatorLinks)
		if err != nil {
			return nil, err
		}
		for _, m := range matches {
			l := link("developer:"+m.DeveloperID, LinkDeveloper)
			l.DeveloperID = m.DeveloperID
			share(l, m.Kind, "")
		}
	}
	var subIDs, devIDs []string
	for _, l := range links {
		if l.Kind == LinkSubmission {
			subIDs = append(subIDs, l.SubmissionID)
		} else {
			devIDs = append(devIDs, l.DeveloperID)
		}
	}
	bySub, byDev, err := s.LinkStandings(ctx, subIDs, devIDs)
	if err != nil {
		return nil, err
	}
	out := make([]Link, 0, len(links))
	for _, l := range links {
		st, ok := bySub[l.SubmissionID]
		if l.Kind == LinkDeveloper {
			st, ok = byDev[l.DeveloperID]
		}
		if !ok {
			continue // deleted since it was found
		}
		l.LinkStanding = st
		if l.Shared == nil {
			l.Shared = []Shared{}
		}
		slices.SortFunc(l.Shared, func(a, b Shared) int { return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Value, b.Value)) })
		out = append(out, *l)
	}
	// Most similar first; then links by what points at one operator (a
	// merchant or app ID, a secret, an identity) before links by what many
	// unrelated apps share (a popular host, a stock image), so that the
	// limit drops the latter.
	slices.SortFunc(out, func(a, b Link) int {
		return cmp.Or(-cmp.Compare(a.Similarity, b.Similarity), -cmp.Compare(strongShares(a), strongShares(b)),
			-cmp.Compare(len(a.Shared), len(b.Shared)),
			cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.SubmissionID, b.SubmissionID), cmp.Compare(a.DeveloperID, b.DeveloperID))
	})
	if len(out) > opt.Limit {
		out = out[:opt.Limit]
	}
	return out, nil
}

// strongShares counts what a link shares that points at one operator.
func strongShares(l Link) int {
	n := 0
	for _, sh := range l.Shared {
		switch sh.Kind {
		case IndicatorHost, IndicatorWebView, IndicatorAssetHash:
		default:
			n++
		}
	}
	return n
}
