package console

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"trustgate/internal/store"
)

// waiver is a waiver with its state now, as GET /v1/waivers shows it.
type waiver struct {
	store.Waiver
	State string `json:"state"`
}

type waiversData struct {
	Waivers []waiver
	App     string
	// MinDate and MaxDate bound the expiry field: tomorrow to a year away,
	// as the API admits.
	MinDate, MaxDate string
}

func (c *Console) waiversPage(q *req) (string, view, error) {
	d := waiversData{App: strings.TrimSpace(q.r.URL.Query().Get("app_id"))}
	now := time.Now().UTC()
	d.MinDate, d.MaxDate = now.AddDate(0, 0, 1).Format(time.DateOnly), now.AddDate(1, 0, 0).Format(time.DateOnly)
	v := url.Values{"limit": {"100"}}
	if d.App != "" {
		v.Set("app_id", d.App)
	}
	var ws list[waiver]
	if err := q.get("/v1/waivers?"+v.Encode(), &ws); err != nil {
		return "", view{}, err
	}
	d.Waivers = ws.Items
	return "waivers", view{Title: q.lang.T("waivers"), Data: d, Path: "/waivers"}, nil
}

// grantWaiver asks for a waiver; the expiry date is the end of that day in
// UTC.
func (c *Console) grantWaiver(q *req) (string, error) {
	day, err := time.Parse(time.DateOnly, q.r.PostFormValue("expires"))
	if err != nil {
		return "", &problem{Status: http.StatusUnprocessableEntity, Title: q.lang.T("expires_help")}
	}
	return "/waivers", q.postJSON("/v1/waivers", map[string]any{
		"app_id": strings.TrimSpace(q.r.PostFormValue("app_id")), "rule_id": strings.TrimSpace(q.r.PostFormValue("rule_id")),
		"reason": q.r.PostFormValue("reason"), "expires_at": day.Add(24*time.Hour - time.Second),
	})
}

func (c *Console) approveWaiver(q *req) (string, error) {
	return "/waivers", q.postJSON("/v1/waivers/"+url.PathEscape(q.r.PathValue("id"))+"/approve", struct{}{})
}
