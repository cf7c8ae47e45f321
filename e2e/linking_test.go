package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"trustgate/internal/linkkey"
	"trustgate/internal/pkgzip"
	"trustgate/internal/store"
	"trustgate/internal/testenv"
	"trustgate/scan"
)

// Risk control across accounts, end to end: a wheel-of-fortune app is
// taken down for gambling; a second verified account uploads the same app
// with its identifiers renamed and its pages moved, and is rejected as
// linked to the taken-down app, which staff see through the related API;
// an unrelated app built on the same vendored UI library is approved.
func TestLinkedToTakenDownEndToEnd(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	ctx := t.Context()
	senior, reviewer := s.demo.Tokens["senior_reviewer"], s.demo.Tokens["reviewer"]

	first := newDeveloper(t, s, "wheel-first", "Lucky Wheel")
	sub1 := s.submitPackage(t, first, "1.0.0", wheelApp(t, wheelOriginal, "wx1111111111111111"))
	require.Equal(t, "approved", string(sub1.State), "%v", codes(sub1))
	code, out := s.act(t, senior, "/v1/apps/"+first.app+"/suspend",
		`{"reason_codes":["POLICY_VIOLATION"],"comment":"online gambling with real-money top-ups"}`)
	require.Equal(t, http.StatusOK, code, "%v", out)
	require.Eventually(t, func() bool {
		app, err := s.store.GetApp(ctx, first.app)
		return err == nil && app.Status == "suspended"
	}, 30*time.Second, 100*time.Millisecond)

	second := newDeveloper(t, s, "wheel-second", "Fortune Spinner")
	copied := s.submitPackage(t, second, "1.0.0", wheelApp(t, wheelRenamed, "wx2222222222222222"))
	require.Equal(t, "rejected", string(copied.State))
	require.Equal(t, []string{"LINKED_TO_TAKEN_DOWN"}, codes(copied))
	ev := copied.Decision.Reasons[0].Evidence
	require.Equal(t, "taken_down", ev["linked_standing"])
	require.GreaterOrEqual(t, ev["similarity"].(float64), 0.8)

	// The developer's own view names nothing of the other account.
	var raw json.RawMessage
	s.call(t, "GET", "/v1/submissions/"+copied.ID, second.token, nil, nil, &raw)
	for _, other := range []string{first.id, first.app, sub1.ID, "Lucky Wheel"} {
		require.NotContains(t, string(raw), other, "the developer's answer leaks the linked account")
	}
	resp := s.call(t, "GET", "/v1/submissions/"+copied.ID+"/related", second.token, nil, nil, nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "developers never see the links")

	// Staff see the link, its standing and the most similar files.
	var related relatedAnswer
	resp = s.call(t, "GET", "/v1/submissions/"+copied.ID+"/related", reviewer, nil, nil, &related)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NotEmpty(t, related.Links)
	link := related.Links[0]
	require.Equal(t, sub1.ID, link.SubmissionID)
	require.Equal(t, first.app, link.AppID)
	require.Equal(t, first.id, link.DeveloperID)
	require.Equal(t, "suspended", link.AppStatus)
	require.Equal(t, []string{"POLICY_VIOLATION"}, link.AppReasonCodes)
	require.GreaterOrEqual(t, link.Similarity, 0.8)
	require.NotEmpty(t, link.SimilarFiles)
	require.Equal(t, "pages/index/index.js", link.SimilarFiles[0].A, "the reviewer is shown which file of this package")
	require.Equal(t, "pages/wheel/wheel.js", link.SimilarFiles[0].B, "is like which file of the linked one")
	var byDeveloper relatedAnswer
	resp = s.call(t, "GET", "/v1/developers/"+second.id+"/related", senior, nil, nil, &byDeveloper)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NotEmpty(t, byDeveloper.Links)
	require.Equal(t, first.id, byDeveloper.Links[0].DeveloperID)

	// The decision log holds the snapshot the policy decided on.
	recs, err := s.store.Decisions(ctx, copied.ID)
	require.NoError(t, err)
	require.NotEmpty(t, recs)
	var logged struct {
		Related []struct {
			SubmissionID string `json:"submission_id"`
			AppStatus    string `json:"app_status"`
		}
	}
	require.NoError(t, json.Unmarshal(recs[len(recs)-1].Input, &logged))
	require.Len(t, logged.Related, 1)
	require.Equal(t, sub1.ID, logged.Related[0].SubmissionID)
	require.Equal(t, "suspended", logged.Related[0].AppStatus)

	// The same vendored library under otherwise different code is no link.
	third := newDeveloper(t, s, "notes-third", "Pocket Notes")
	notes := s.submitPackage(t, third, "1.0.0", notesApp(t))
	require.Equal(t, "approved", string(notes.State), "%v", codes(notes))
	var none relatedAnswer
	s.call(t, "GET", "/v1/submissions/"+notes.ID+"/related", reviewer, nil, nil, &none)
	for _, l := range none.Links {
		require.Less(t, l.Similarity, 0.3, "a shared UI library makes apps look alike: %+v", l)
	}
}

// A copy that a reviewer let go live (it was only a possible copy while
// the original was live) is re-checked when the original is taken down,
// and is suspended with the reason on its own history.
func TestTakedownRechecksLinkedLiveApps(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	senior, reviewer := s.demo.Tokens["senior_reviewer"], s.demo.Tokens["reviewer"]

	first := newDeveloper(t, s, "wheel-original", "Lucky Wheel")
	require.Equal(t, "approved", string(s.submitPackage(t, first, "1.0.0", wheelApp(t, wheelOriginal, "wx1111111111111111")).State))

	copycat := newDeveloper(t, s, "wheel-copycat", "Fortune Spinner")
	resp, created := s.upload(t, copycat.token, copycat.app, "1.0.0", wheelApp(t, wheelRenamed, "wx2222222222222222"), "")
	require.Equal(t, http.StatusAccepted, resp.StatusCode, "%v", created)
	id := created["id"].(string)
	var sub struct {
		State string
		Tasks []store.Task
	}
	require.Eventually(t, func() bool {
		s.call(t, "GET", "/v1/submissions/"+id, reviewer, nil, nil, &sub)
		return sub.State == "in_review" && len(sub.Tasks) > 0
	}, 60*time.Second, 100*time.Millisecond)
	require.Contains(t, string(sub.Tasks[0].Reasons), `"POSSIBLE_COPY"`)
	code, out := s.act(t, reviewer, "/v1/review-tasks/"+sub.Tasks[0].ID+"/claim", "")
	require.Equal(t, http.StatusOK, code, "%v", out)
	code, out = s.act(t, reviewer, "/v1/review-tasks/"+sub.Tasks[0].ID+"/decision", `{"outcome":"approve","comment":"licensed, says the contract"}`)
	require.Equal(t, http.StatusOK, code, "%v", out)
	require.Equal(t, "approved", string(s.settle(t, copycat.token, id).State))

	code, out = s.act(t, senior, "/v1/apps/"+first.app+"/suspend", `{"reason_codes":["POLICY_VIOLATION"],"comment":"online gambling"}`)
	require.Equal(t, http.StatusOK, code, "%v", out)

	var h appHistory
	require.Eventually(t, func() bool {
		s.call(t, "GET", "/v1/apps/"+copycat.app+"/events", copycat.token, nil, nil, &h)
		return h.App.Status == "suspended"
	}, 60*time.Second, 100*time.Millisecond, "the linked live app is re-checked and suspended")
	last := h.Items[len(h.Items)-1]
	require.Equal(t, "suspended", last.Kind)
	require.Contains(t, string(last.Detail), "LINKED_TO_TAKEN_DOWN", "the copy's own history says why")
	for _, other := range []string{first.id, first.app, "Lucky Wheel"} {
		require.NotContains(t, string(last.Detail), other, "the copycat's history names nothing of the other account")
	}
}

// An identity detail is hashed as it arrives: a second account with the
// same settlement account as a blacklisted one goes to senior review, and
// the value is nowhere in the database or the answers.
func TestLinkedAccountByIdentityEndToEnd(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	identity := s.demo.Tokens["identity"]
	const account = "6222 0202 0000 1234 567"
	patch := func(devID, body string) map[string]any {
		var out map[string]any
		resp := s.call(t, "PATCH", "/v1/developers/"+devID, identity, strings.NewReader(body), jsonHeader, &out)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%v", out)
		return out
	}
	banned := newDeveloper(t, s, "banned-one", "Quick Cash")
	out := patch(banned.id, fmt.Sprintf(`{"as_of":%q,"blacklisted":true,"identity":{"settlement_account":%q}}`,
		time.Now().UTC().Format(time.RFC3339Nano), account))
	raw, _ := json.Marshal(out)
	require.NotContains(t, string(raw), "1234", "the answer does not echo the account")

	fresh := newDeveloper(t, s, "fresh-one", "Pocket Notes")
	patch(fresh.id, fmt.Sprintf(`{"as_of":%q,"identity":{"settlement_account":%q}}`,
		time.Now().UTC().Format(time.RFC3339Nano), "62220202000012345 67"))
	for _, dev := range []string{banned.id, fresh.id} {
		audit, err := s.store.AuditOf(t.Context(), dev)
		require.NoError(t, err)
		require.NotEmpty(t, audit)
		b, _ := json.Marshal(audit)
		require.NotContains(t, string(b), "1234", "the audit log holds no identity value")
	}

	resp, created := s.upload(t, fresh.token, fresh.app, "1.0.0", notesApp(t), "")
	require.Equal(t, http.StatusAccepted, resp.StatusCode, "%v", created)
	id := created["id"].(string)
	var sub struct {
		State    string
		Decision struct {
			Outcome string
			Queue   string
			Reasons []struct{ Code string }
		}
		Tasks []store.Task
	}
	require.Eventually(t, func() bool {
		s.call(t, "GET", "/v1/submissions/"+id, s.demo.Tokens["senior_reviewer"], nil, nil, &sub)
		return sub.State == "in_review" && len(sub.Tasks) > 0
	}, 60*time.Second, 100*time.Millisecond)
	require.Equal(t, "senior", sub.Tasks[0].Queue)
	require.Contains(t, string(sub.Tasks[0].Reasons), `"LINKED_ACCOUNT"`)

	var related relatedAnswer
	s.call(t, "GET", "/v1/developers/"+fresh.id+"/related", s.demo.Tokens["compliance"], nil, nil, &related)
	require.Len(t, related.Links, 1)
	require.Equal(t, banned.id, related.Links[0].DeveloperID)
	require.True(t, related.Links[0].DeveloperBlacklisted)
	require.Equal(t, "settlement_account", related.Links[0].Shared[0].Kind)
	require.Empty(t, related.Links[0].Shared[0].Value, "an identity hash is never handed out")
}

// relatedAnswer is what the related routes answer, as far as the tests
// read it.
type relatedAnswer struct {
	Links []struct {
		store.Link
		SimilarFiles []scan.FilePair `json:"similar_files"`
	} `json:"links"`
}

// testDeveloper is a verified developer of the test's own with one app.
type testDeveloper struct{ id, app, token string }

func newDeveloper(t *testing.T, s *stack, name, appName string) testDeveloper {
	t.Helper()
	ctx := t.Context()
	verified := time.Now().Add(-24 * time.Hour)
	dev, err := s.store.UpsertDeveloper(ctx, store.Developer{Name: name, Kind: "individual", RealNameStatus: "verified",
		RealNameVerifiedAt: &verified, CreditScore: 780})
	require.NoError(t, err)
	app, err := s.store.EnsureApp(ctx, store.App{DeveloperID: dev.ID, Name: appName, Category: "games", Platform: "wechat"})
	require.NoError(t, err)
	tok, err := s.store.CreateToken(ctx, store.Token{Role: "developer", Subject: name, DeveloperID: &dev.ID})
	require.NoError(t, err)
	return testDeveloper{id: dev.ID, app: app.ID, token: tok}
}

func (s *stack) submitPackage(t *testing.T, dev testDeveloper, version string, pkg []byte) submissionAnswer {
	t.Helper()
	resp, created := s.upload(t, dev.token, dev.app, version, pkg, "")
	require.Equal(t, http.StatusAccepted, resp.StatusCode, "%v", created)
	return s.settle(t, dev.token, created["id"].(string))
}

// wheelSource is the wheel app's page script with its identifiers as
// placeholders; wheelOriginal and wheelRenamed fill them in as two authors
// would name them.
const wheelSource = `const {{Ring}} = [
  { label: 'gold', weight: 1, points: 500 },
  { label: 'silver', weight: 3, points: 120 },
  { label: 'bronze', weight: 6, points: 40 },
  { label: 'again', weight: 10, points: 0 }
];

function {{pick}}({{slots}}, {{roll}}) {
  let {{total}} = 0;
  for (const {{slot}} of {{slots}}) { {{total}} += {{slot}}.weight; }
  let {{cursor}} = {{roll}} * {{total}};
  for (let {{i}} = 0; {{i}} < {{slots}}.length; {{i}}++) {
    {{cursor}} -= {{slots}}[{{i}}].weight;
    if ({{cursor}} <= 0) { return {{i}}; }
  }
  return {{slots}}.length - 1;
}

function {{angleOf}}({{index}}, {{count}}, {{turns}}) {
  const {{step}} = 360 / {{count}};
  return {{turns}} * 360 + (360 - {{index}} * {{step}} - {{step}} / 2);
}

Page({
  data: { {{balance}}: 100, {{angle}}: 0, {{busy}}: false, {{history}}: [] },
  onLoad() {
    const {{saved}} = wx.getStorageSync('{{balance}}');
    if (typeof {{saved}} === 'number') { this.setData({ {{balance}}: {{saved}} }); }
  },
  {{onSpin}}() {
    if (this.data.{{busy}} || this.data.{{balance}} < 10) { return; }
    const {{chosen}} = {{pick}}({{Ring}}, Math.random());
    const {{won}} = {{Ring}}[{{chosen}}];
    const {{next}} = this.data.{{balance}} - 10 + {{won}}.points;
    this.setData({ {{busy}}: true, {{angle}}: {{angleOf}}({{chosen}}, {{Ring}}.length, 6) });
    setTimeout(() => {
      const {{entry}} = { label: {{won}}.label, points: {{won}}.points, at: Date.now() };
      this.setData({ {{busy}}: false, {{balance}}: {{next}}, {{history}}: [{{entry}}].concat(this.data.{{history}}).slice(0, 20) });
      wx.setStorageSync('{{balance}}', {{next}});
    }, 3000);
  },
  {{onTopUp}}(e) {
    const {{amount}} = Number(e.currentTarget.dataset.amount) || 0;
    if ({{amount}} <= 0) { return; }
    this.setData({ {{balance}}: this.data.{{balance}} + {{amount}} * 10 });
    wx.setStorageSync('{{balance}}', this.data.{{balance}});
  }
});
`

var (
	wheelOriginal = map[string]string{"Ring": "PRIZES", "pick": "pickPrize", "slots": "prizes", "roll": "r", "total": "sum",
		"slot": "p", "cursor": "left", "i": "i", "angleOf": "targetAngle", "index": "idx", "count": "n", "turns": "turns",
		"step": "slice", "balance": "coins", "angle": "rotation", "busy": "spinning", "history": "log", "saved": "stored",
		"onSpin": "spin", "chosen": "k", "won": "prize", "next": "after", "entry": "rec", "onTopUp": "topUp", "amount": "amt",
		"page": "pages/wheel/wheel"}
	// The copy renames every name the code binds (constants, functions,
	// parameters, variables) and moves the page; the page's data keys and
	// handlers keep their names, as the template binds them (a minifier
	// cannot rename them either).
	wheelRenamed = map[string]string{"Ring": "REWARDS", "pick": "chooseReward", "slots": "list", "roll": "x", "total": "acc",
		"slot": "item", "cursor": "rest", "i": "j", "angleOf": "computeRotation", "index": "pos", "count": "size", "turns": "loops",
		"step": "arc", "balance": "coins", "angle": "rotation", "busy": "spinning", "history": "log", "saved": "prev",
		"onSpin": "spin", "chosen": "which", "won": "reward", "next": "remaining", "entry": "row", "onTopUp": "topUp",
		"amount": "value", "page": "pages/index/index"}
)

// uiLibrary is a small component library vendored under miniprogram_npm by
// unrelated apps alike.
var uiLibrary = map[string]string{
	"miniprogram_npm/tiny-ui/button/index.js": `Component({
  properties: { type: { type: String, value: 'default' }, size: { type: String, value: 'normal' }, loading: Boolean, disabled: Boolean },
  externalClasses: ['custom-class'],
  methods: {
    onClick(event) {
      if (this.data.disabled || this.data.loading) { return; }
      this.triggerEvent('click', event.detail);
    },
    classes() {
      const parts = ['tiny-button', 'tiny-button--' + this.data.type, 'tiny-button--' + this.data.size];
      if (this.data.disabled) { parts.push('tiny-button--disabled'); }
      if (this.data.loading) { parts.push('tiny-button--loading'); }
      return parts.join(' ');
    }
  }
});
`,
	"miniprogram_npm/tiny-ui/button/index.json": `{ "component": true }`,
	"miniprogram_npm/tiny-ui/button/index.wxml": `<button class="{{classes}}" bindtap="onClick"><slot /></button>`,
	"miniprogram_npm/tiny-ui/cell/index.js": `Component({
  properties: { title: String, value: String, label: String, border: { type: Boolean, value: true }, isLink: Boolean },
  methods: {
    onTap() {
      this.triggerEvent('tap');
      if (this.data.isLink && this.data.url) { wx.navigateTo({ url: this.data.url }); }
    },
    format(value, max) {
      if (typeof value !== 'string') { return ''; }
      return value.length > max ? value.slice(0, max - 1) + '…' : value;
    }
  }
});
`,
	"miniprogram_npm/tiny-ui/cell/index.json": `{ "component": true }`,
	"miniprogram_npm/tiny-ui/cell/index.wxml": `<view class="tiny-cell" bindtap="onTap"><text>{{title}}</text><text>{{value}}</text></view>`,
}

// wheelApp builds the wheel app's package with the names given.
func wheelApp(t *testing.T, names map[string]string, appid string) []byte {
	t.Helper()
	src := wheelSource
	for k, v := range names {
		src = strings.ReplaceAll(src, "{{"+k+"}}", v)
	}
	page := names["page"]
	files := map[string]string{
		"app.json":            fmt.Sprintf(`{"pages":[%q],"usingComponents":{"tiny-button":"tiny-ui/button/index"}}`, page),
		"app.js":              "App({});\n",
		"project.config.json": fmt.Sprintf(`{"appid":%q,"compileType":"miniprogram"}`, appid),
		page + ".js":          src,
		page + ".json":        `{}`,
		page + ".wxml":        fmt.Sprintf(`<view>{{%s}}</view><tiny-button bindclick="%s">Go</tiny-button>`, names["balance"], names["onSpin"]),
	}
	for name, body := range uiLibrary {
		files[name] = body
	}
	b, err := pkgzip.Files(files)
	require.NoError(t, err)
	return b
}

// notesApp is an unrelated app on the same UI library.
func notesApp(t *testing.T) []byte {
	t.Helper()
	files := map[string]string{
		"app.json":               `{"pages":["pages/notes/notes"],"usingComponents":{"tiny-cell":"tiny-ui/cell/index"}}`,
		"app.js":                 "App({});\n",
		"project.config.json":    `{"appid":"wx3333333333333333","compileType":"miniprogram"}`,
		"pages/notes/notes.json": `{}`,
		"pages/notes/notes.wxml": `<tiny-cell wx:for="{{notes}}" wx:key="id" title="{{item.title}}" />`,
		"pages/notes/notes.js": `const KEY = 'notes';

function load() {
  const raw = wx.getStorageSync(KEY);
  return Array.isArray(raw) ? raw : [];
}

function byUpdated(a, b) {
  return b.updatedAt - a.updatedAt;
}

function summary(text) {
  const firstLine = String(text || '').split('\n')[0].trim();
  return firstLine === '' ? 'Untitled' : firstLine.slice(0, 40);
}

Page({
  data: { notes: [], draft: '', editing: null },
  onShow() {
    this.setData({ notes: load().sort(byUpdated) });
  },
  onInput(e) {
    this.setData({ draft: e.detail.value });
  },
  save() {
    const notes = load();
    const now = Date.now();
    if (this.data.editing) {
      const note = notes.find(n => n.id === this.data.editing);
      if (note) { note.text = this.data.draft; note.title = summary(this.data.draft); note.updatedAt = now; }
    } else if (this.data.draft.trim() !== '') {
      notes.push({ id: 'n' + now, text: this.data.draft, title: summary(this.data.draft), updatedAt: now });
    }
    wx.setStorageSync(KEY, notes);
    this.setData({ notes: notes.sort(byUpdated), draft: '', editing: null });
  },
  edit(e) {
    const note = load().find(n => n.id === e.currentTarget.dataset.id);
    if (note) { this.setData({ editing: note.id, draft: note.text }); }
  },
  remove(e) {
    const id = e.currentTarget.dataset.id;
    const notes = load().filter(n => n.id !== id);
    wx.setStorageSync(KEY, notes);
    this.setData({ notes: notes.sort(byUpdated) });
  }
});
`,
	}
	for name, body := range uiLibrary {
		files[name] = body
	}
	b, err := pkgzip.Files(files)
	require.NoError(t, err)
	return b
}

// The reviewer's page of a submission shows its related panel: the linked
// app with a link to its submission, its standing, and the pairs of most
// similar files; the developer's page of the same submission has none.
func TestBrowserRelatedPanel(t *testing.T) {
	s := startStack(t, 8<<20)
	first := newDeveloper(t, s, "wheel-shown", "Lucky Wheel")
	orig := s.submitPackage(t, first, "1.0.0", wheelApp(t, wheelOriginal, "wx1111111111111111"))
	require.Equal(t, "approved", string(orig.State))
	code, out := s.act(t, s.demo.Tokens["senior_reviewer"], "/v1/apps/"+first.app+"/suspend", `{"reason_codes":["POLICY_VIOLATION"],"comment":"online gambling"}`)
	require.Equal(t, http.StatusOK, code, "%v", out)
	require.Eventually(t, func() bool {
		app, err := s.store.GetApp(t.Context(), first.app)
		return err == nil && app.Status == "suspended"
	}, 30*time.Second, 100*time.Millisecond)
	second := newDeveloper(t, s, "wheel-viewer", "Fortune Spinner")
	copied := s.submitPackage(t, second, "1.0.0", wheelApp(t, wheelRenamed, "wx2222222222222222"))
	require.Equal(t, "rejected", string(copied.State))

	b := newBrowser(t, s.url)
	b.signIn(s.demo.Tokens["reviewer"])
	b.open("/submissions/" + copied.ID)
	panel := b.text("#related")
	require.Contains(t, panel, "Lucky Wheel")
	require.Contains(t, panel, first.id)
	require.Contains(t, panel, "suspended")
	require.Contains(t, panel, "POLICY_VIOLATION")
	require.Contains(t, b.text("#related .similarity"), "1.00")
	require.Contains(t, b.text("#related .similar-files"), "pages/wheel/wheel.js")
	href := get(b, chromedp.Evaluate[string](`document.querySelector("#related a.linked-submission").getAttribute("href")`))
	require.Equal(t, "/submissions/"+orig.ID, href)
	b.shot("related-panel")

	b.signIn(second.token)
	b.open("/submissions/" + copied.ID)
	require.Contains(t, b.text("main"), "LINKED_TO_TAKEN_DOWN")
	n := get(b, chromedp.Evaluate[int](`document.querySelectorAll("#related").length`))
	require.Zero(t, n, "a developer is shown no related panel")
	require.NotContains(t, b.text("main"), "Lucky Wheel")
}

// serve and worker refuse to start without a link key of their own: an
// identity hash made with no key, or the public dev key, protects nothing.
func TestServeAndWorkerRefuseWithoutALinkKey(t *testing.T) {
	t.Parallel()
	bin, db := trustgateBinary(t), testenv.NewDB(t)
	for _, c := range []struct{ cmd, key, says string }{
		{"serve", "", "TRUSTGATE_LINK_KEY is not set"},
		{"worker", "", "TRUSTGATE_LINK_KEY is not set"},
		{"serve", linkkey.DevKey, "public key of `trustgate dev`"},
	} {
		t.Run(c.cmd+" "+c.says, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, c.cmd)
			cmd.Env = append(os.Environ(), "DATABASE_URL="+db.AppURL,
				"TEMPORAL_ADDRESS="+os.Getenv(testenv.EnvTemporalAddress), "TEMPORAL_TASK_QUEUE="+testenv.TaskQueue(t),
				"BLOB_URL=file://"+filepath.ToSlash(t.TempDir()), "TRUSTGATE_HTTP_ADDR=127.0.0.1:0",
				"TRUSTGATE_METRICS_ADDR=", "LOG_LEVEL=warn", "TRUSTGATE_LINK_KEY="+c.key)
			out, err := cmd.CombinedOutput()
			require.NoError(t, ctx.Err(), "%s started without a key; output:\n%s", c.cmd, out)
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "output:\n%s", out)
			require.NotZero(t, exit.ExitCode())
			require.Contains(t, string(out), "refusing to start")
			require.Contains(t, string(out), c.says)
		})
	}
}
