package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustgate/internal/store"
	"trustgate/internal/submission"
	"trustgate/internal/testenv"
	"trustgate/server"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// detailFixture is an API over a fresh database whose submission details
// are answered from a listening cache, with one developer's submission.
type detailFixture struct {
	db       *testenv.DB
	api      http.Handler
	token    string
	sub      store.Submission
	fromMemo atomic.Uint64
}

func newDetailFixture(tb testing.TB) *detailFixture {
	tb.Helper()
	ctx := context.Background()
	f := &detailFixture{db: testenv.NewDB(tb)}
	dev, err := f.db.Store.UpsertDeveloper(ctx, store.Developer{Name: "dev", Kind: "individual", RealNameStatus: "verified", CreditScore: 750})
	require.NoError(tb, err)
	app, err := f.db.Store.CreateApp(ctx, store.App{DeveloperID: dev.ID, Name: "App", Category: "tools", Platform: "wechat"})
	require.NoError(tb, err)
	f.token, err = f.db.Store.CreateToken(ctx, store.Token{Role: server.RoleDeveloper, Subject: "dev", DeveloperID: &dev.ID})
	require.NoError(tb, err)
	f.sub, _, err = f.db.Store.CreateSubmission(ctx, store.NewSubmission{
		AppID: app.ID, DeveloperID: dev.ID, Version: "1.0.0",
		PackageSHA256: "0000000000000000000000000000000000000000000000000000000000000001", PackageBytes: 10,
	})
	require.NoError(tb, err)

	details := store.NewDetailCache(f.db.Store, 1<<20)
	details.OnRead = func(fromMemory bool) {
		if fromMemory {
			f.fromMemo.Add(1)
		}
	}
	listen, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = details.Listen(listen) }()
	tb.Cleanup(func() { cancel(); <-done })
	require.Eventually(tb, details.Listening, 10*time.Second, 5*time.Millisecond, "the cache never started listening")
	f.api = (&server.Server{Store: f.db.Store, Details: details, Rendered: server.NewRenderCache(1 << 20)}).Handler()
	return f
}

// get answers GET /v1/submissions/{id} in a language, as the developer.
func (f *detailFixture) get(tb testing.TB, lang string) (int, []byte) {
	tb.Helper()
	req := httptest.NewRequest("GET", "/v1/submissions/"+f.sub.ID, nil)
	req.Header.Set("Authorization", "Bearer "+f.token)
	req.Header.Set("Accept-Language", lang)
	w := httptest.NewRecorder()
	f.api.ServeHTTP(w, req)
	return w.Code, w.Body.Bytes()
}

type detailAnswer struct {
	State    submission.State `json:"state"`
	Timeline []struct {
		Seq   int              `json:"seq"`
		State submission.State `json:"state"`
	} `json:"timeline"`
	Findings []struct {
		RuleID string `json:"rule_id"`
		Score  int    `json:"score"`
	} `json:"findings"`
}

func (f *detailFixture) read(tb testing.TB, lang string) detailAnswer {
	tb.Helper()
	code, body := f.get(tb, lang)
	require.Equal(tb, http.StatusOK, code, string(body))
	var a detailAnswer
	require.NoError(tb, json.Unmarshal(body, &a))
	return a
}

// warm reads until the detail comes from memory twice in a row in each
// language, so that what is answered next was rendered before.
func (f *detailFixture) warm(tb testing.TB, langs ...string) {
	tb.Helper()
	require.Eventually(tb, func() bool {
		before := f.fromMemo.Load()
		for range 2 {
			for _, l := range langs {
				f.read(tb, l)
			}
		}
		return f.fromMemo.Load() == before+uint64(2*len(langs))
	}, 5*time.Second, 2*time.Millisecond, "never answered from memory")
}

// An answer rendered from the cached detail is never given once its
// submission has changed: not after a change of state, nor after a change
// of its findings or timeline alone, in any language. An answer kept by
// submission and language alone would show the first state for as long as
// the process runs.
func TestACachedDetailIsNeverAnsweredStaleAfterItsSubmissionChanged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newDetailFixture(t)
	langs := []string{"en", "zh-CN"}
	f.warm(t, langs...)
	for _, l := range langs {
		require.Equal(t, submission.Received, f.read(t, l).State)
	}

	// settled reads until every language shows the change, then holds it
	// to that for a number of reads more: once shown, the change is never
	// taken back by an answer rendered before it.
	settled := func(what string, shows func(detailAnswer) bool) {
		t.Helper()
		require.Eventually(t, func() bool {
			for _, l := range langs {
				if !shows(f.read(t, l)) {
					return false
				}
			}
			return true
		}, 5*time.Second, 2*time.Millisecond, "%s never showed", what)
		for range 50 {
			for _, l := range langs {
				require.True(t, shows(f.read(t, l)), "%s taken back in %s", what, l)
			}
		}
	}

	require.NoError(t, f.db.Store.Advance(ctx, store.Step{SubmissionID: f.sub.ID, Seq: 1, To: submission.Scanning}))
	settled("the new state", func(a detailAnswer) bool { return a.State == submission.Scanning && len(a.Timeline) == 2 })
	f.warm(t, langs...)

	require.NoError(t, f.db.Store.SaveFindings(ctx, f.sub.ID, []store.Finding{
		{Fingerprint: "a", RuleID: "CONTENT-001", Severity: "high", File: "app.js", Line: 1, Column: 2, Snippet: "y", Message: "m", Remediation: "r", Score: 7},
	}))
	settled("the findings", func(a detailAnswer) bool {
		return a.State == submission.Scanning && len(a.Findings) == 1 && a.Findings[0].Score == 7
	})
	f.warm(t, langs...)

	_, err := f.db.Store.Note(ctx, f.sub.ID, 2, map[string]any{"note": "scanned"})
	require.NoError(t, err)
	settled("the timeline entry", func(a detailAnswer) bool { return len(a.Timeline) == 3 && len(a.Findings) == 1 })
}

// BenchmarkGetSubmissionFromMemory is GET /v1/submissions/{id} of a
// submission that does not change, as the load harness asks it: the detail
// and its rendered answer come from memory.
func BenchmarkGetSubmissionFromMemory(b *testing.B) {
	f := newDetailFixture(b)
	f.warm(b, "en")
	b.ReportAllocs()
	req := httptest.NewRequest("GET", "/v1/submissions/"+f.sub.ID, nil)
	req.Header.Set("Authorization", "Bearer "+f.token)
	req.Header.Set("Accept-Language", "en")
	for b.Loop() {
		w := httptest.NewRecorder()
		f.api.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
