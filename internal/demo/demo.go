// Package demo seeds the demo data `trustgate dev` starts with: one
// developer of each standing the policy distinguishes, an app each, the
// staff roles, and a token for everyone.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"trustgate/internal/pkgzip"
	"trustgate/internal/store"
)

// Data is what seeding made: the tokens by name (Order is the order to
// print them in) and the demo apps.
type Data struct {
	Tokens map[string]string
	Order  []string
	Apps   []App
}

// App is a demo app and the name of the developer who owns it.
type App struct{ Owner, ID, Name, Platform string }

// AppOf is the ID of owner's demo app.
func (d Data) AppOf(owner string) string {
	for _, a := range d.Apps {
		if a.Owner == owner {
			return a.ID
		}
	}
	panic("no demo app of " + owner)
}

// The demo developers: one of each standing the policy distinguishes.
func demoDevelopers(now time.Time) []store.Developer {
	verified := now.AddDate(0, -6, 0)
	expires := now.AddDate(2, 0, 0)
	return []store.Developer{
		{Name: "lin-verified", Kind: "individual", RealNameStatus: "verified", RealNameVerifiedAt: &verified,
			RealNameExpiresAt: &expires, CreditScore: 780},
		{Name: "zhao-unverified", Kind: "individual", RealNameStatus: "none", CreditScore: 720},
		{Name: "acme-pay", Kind: "enterprise", RealNameStatus: "verified", RealNameVerifiedAt: &verified,
			RealNameExpiresAt: &expires, CreditScore: 690, Qualifications: []string{"payment"}},
		{Name: "shadow-blacklisted", Kind: "individual", RealNameStatus: "verified", RealNameVerifiedAt: &verified,
			RealNameExpiresAt: &expires, CreditScore: 800, Blacklisted: true},
		// Verified and creditworthy, but flagged by risk control: every
		// submission goes to human review.
		{Name: "wang-flagged", Kind: "enterprise", RealNameStatus: "verified", RealNameVerifiedAt: &verified,
			RealNameExpiresAt: &expires, CreditScore: 720, RiskFlags: []string{"chargeback_spike"}},
	}
}

var demoApps = map[string]store.App{
	"lin-verified":       {Name: "Lin Notes", Category: "tools", Platform: "wechat", Domains: []string{"api.lin-notes.example"}},
	"zhao-unverified":    {Name: "Zhao Recipes", Category: "lifestyle", Platform: "wechat"},
	"acme-pay":           {Name: "Acme Mall", Category: "shopping", Platform: "alipay", Domains: []string{"api.acme-mall.example", "pay.acme-mall.example"}},
	"shadow-blacklisted": {Name: "Shadow Loans", Category: "lending", Platform: "wechat"},
	"wang-flagged":       {Name: "Wang Deals", Category: "shopping", Platform: "wechat", Domains: []string{"api.wang-deals.example"}},
}

// Two reviewers and a senior, so four eyes and appeals can be tried at once;
// two compliance users, so that one can approve the other's policy draft or
// waiver.
var staffTokens = []struct{ name, role, subject string }{
	{"reviewer", "reviewer", "demo-reviewer"},
	{"reviewer-2", "reviewer", "demo-reviewer-2"},
	{"senior_reviewer", "senior_reviewer", "demo-senior"},
	{"compliance", "compliance", "demo-compliance"},
	{"compliance-2", "compliance", "demo-compliance-2"},
	{"identity", "identity", "demo-identity"},
	{"admin", "admin", "demo-admin"},
}

// Seed makes the demo developers, apps and tokens, reusing those of an
// earlier run: tokens still valid in the database are kept, so the file in
// .dev/demo-tokens.json stays true across restarts.
func Seed(ctx context.Context, st *store.Store, devDir string) (Data, error) {
	d := Data{Tokens: map[string]string{}}
	path := filepath.Join(devDir, "demo-tokens.json")
	old := map[string]string{}
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &old) // a broken file is replaced below
	} else if !errors.Is(err, os.ErrNotExist) {
		return d, fmt.Errorf("read %s: %w", path, err)
	}
	token := func(name string, t store.Token) error {
		if secret, ok := old[name]; ok {
			if got, err := st.LookupToken(ctx, secret); err == nil && got.Role == t.Role && got.Subject == t.Subject {
				d.Tokens[name] = secret
				d.Order = append(d.Order, name)
				return nil
			}
		}
		secret, err := st.CreateToken(ctx, t)
		if err != nil {
			return err
		}
		d.Tokens[name] = secret
		d.Order = append(d.Order, name)
		return nil
	}
	for _, dev := range demoDevelopers(time.Now()) {
		got, err := st.UpsertDeveloper(ctx, dev)
		if err != nil {
			return d, err
		}
		spec := demoApps[dev.Name]
		spec.DeveloperID = got.ID
		app, err := st.EnsureApp(ctx, spec)
		if err != nil {
			return d, err
		}
		d.Apps = append(d.Apps, App{Owner: dev.Name, ID: app.ID, Name: app.Name, Platform: app.Platform})
		if err := token(dev.Name, store.Token{Role: "developer", Subject: dev.Name, DeveloperID: &got.ID}); err != nil {
			return d, err
		}
	}
	for _, s := range staffTokens {
		if err := token(s.name, store.Token{Role: s.role, Subject: s.subject}); err != nil {
			return d, err
		}
	}
	// "developer" is the verified developer's token, for scripts that just
	// want a developer.
	d.Tokens["developer"] = d.Tokens["lin-verified"]
	d.Order = append([]string{"developer"}, d.Order...)
	b, err := json.MarshalIndent(d.Tokens, "", "  ")
	if err != nil {
		return d, fmt.Errorf("encode demo tokens: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return d, fmt.Errorf("write %s: %w", path, err)
	}
	return d, os.Chmod(path, 0o600) // WriteFile keeps the mode of an existing file
}

// WriteExamples zips every example folder to NAME.zip beside it.
func WriteExamples(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil // not run from a checkout: nothing to build
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", dir, err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		b, err := pkgzip.Dir(filepath.Join(dir, e.Name()))
		if err != nil {
			return fmt.Errorf("zip example %s: %w", e.Name(), err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()+".zip"), b, 0o644); err != nil {
			return fmt.Errorf("write example %s: %w", e.Name(), err)
		}
	}
	return nil
}
