package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustgate/internal/webhooks"
)

// receiver is a developer's endpoint that can be down for a while.
type receiver struct {
	mu     sync.Mutex
	up     atomic.Bool
	secret string
	events []webhooks.Event
	bad    int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if !r.up.Load() {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	body, _ := io.ReadAll(req.Body)
	// Verify as the docs tell receivers to: recompute the signature over
	// "t.body" with the secret.
	sig := req.Header.Get("Trustgate-Signature")
	unix, _ := strconv.ParseInt(strings.TrimPrefix(strings.Split(sig, ",")[0], "t="), 10, 64)
	tm := time.Unix(unix, 0)
	r.mu.Lock()
	defer r.mu.Unlock()
	if webhooks.Sign(r.secret, tm, body) != sig {
		r.bad++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var ev webhooks.Event
	_ = json.Unmarshal(body, &ev)
	if ev.ID != req.Header.Get("Trustgate-Event-Id") {
		r.bad++
	}
	r.events = append(r.events, ev)
	w.WriteHeader(http.StatusNoContent)
}

func TestWebhooksArriveSignedInOrderAfterAnOutage(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	lin := s.demo.Tokens["lin-verified"]
	rcv := &receiver{}
	endpoint := httptest.NewServer(rcv)
	t.Cleanup(endpoint.Close)

	var hook struct{ ID, Secret string }
	resp := s.call(t, "POST", "/v1/webhooks", lin, strings.NewReader(`{"url":"`+endpoint.URL+`/hook","events":["*"]}`), jsonHeader, &hook)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	require.True(t, strings.HasPrefix(hook.Secret, "whsec_"), "the secret is shown once, at creation")
	rcv.secret = hook.Secret
	var listed struct{ Items []map[string]any }
	s.call(t, "GET", "/v1/webhooks", lin, nil, nil, &listed)
	require.Len(t, listed.Items, 1)
	require.NotContains(t, listed.Items[0], "secret", "and never again")

	// The receiver is down while the submission runs.
	resp, created := s.upload(t, lin, s.appOf("lin-verified"), "1.0.0", examplePackage(t, "hello-wechat"), "")
	require.Equal(t, http.StatusAccepted, resp.StatusCode, "%v", created)
	id := created["id"].(string)
	require.Equal(t, "approved", string(s.settle(t, lin, id).State))
	var ds struct {
		Items []struct {
			State    string
			Attempts int
		}
	}
	require.Eventually(t, func() bool {
		s.call(t, "GET", "/v1/webhooks/"+hook.ID+"/deliveries", lin, nil, nil, &ds)
		return len(ds.Items) > 0 && ds.Items[len(ds.Items)-1].Attempts > 0
	}, 10*time.Second, 100*time.Millisecond, "deliveries were tried while the receiver was down")

	rcv.up.Store(true)
	want := []string{"submission.received", "submission.scanning", "submission.evaluating", "submission.approved", "app.live"}
	require.Eventually(t, func() bool {
		rcv.mu.Lock()
		defer rcv.mu.Unlock()
		return len(rcv.events) >= len(want)
	}, 30*time.Second, 100*time.Millisecond, "every event arrives once the receiver is back")
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	var got []string
	for _, e := range rcv.events {
		got = append(got, e.Type)
	}
	require.Equal(t, want, got, "in order, each once")
	require.Zero(t, rcv.bad, "every signature verifies")
}

func TestWebhookURLsMustBeSafe(t *testing.T) {
	t.Parallel()
	require.Error(t, webhooks.CheckURL("http://example.com/hook", false), "plain http is refused")
	require.Error(t, webhooks.CheckURL("https://user:pw@example.com/hook", false))
	require.NoError(t, webhooks.CheckURL("https://example.com/hook", false))
	require.NoError(t, webhooks.CheckURL("http://127.0.0.1:9/hook", true))
}

func TestEleventhWebhookEndpointIsRefused(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	lin := s.demo.Tokens["lin-verified"]
	for i := range 10 {
		resp := s.call(t, "POST", "/v1/webhooks", lin, strings.NewReader(`{"url":"https://example.com/hook/`+strconv.Itoa(i)+`","events":["*"]}`), jsonHeader, nil)
		require.Equal(t, http.StatusCreated, resp.StatusCode, "endpoint %d of 10", i+1)
	}
	var problem struct{ Type, Detail string }
	resp := s.call(t, "POST", "/v1/webhooks", lin, strings.NewReader(`{"url":"https://example.com/hook/10","events":["*"]}`), jsonHeader, &problem)
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
	require.Equal(t, "/problems/too-many-webhooks", problem.Type, problem.Detail)

	// Another developer's endpoints are counted on their own.
	resp = s.call(t, "POST", "/v1/webhooks", s.demo.Tokens["acme-pay"], strings.NewReader(`{"url":"https://example.com/acme","events":["*"]}`), jsonHeader, nil)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
}

func TestWebhookURLsNamingNonPublicAddressesAreRefused(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20)
	lin := s.demo.Tokens["lin-verified"]
	for _, url := range []string{"https://100.100.100.200/latest/meta-data", "https://[::ffff:169.254.169.254]/", "https://[64:ff9b::a9fe:a9fe]/"} {
		var problem struct{ Type string }
		resp := s.call(t, "POST", "/v1/webhooks", lin, strings.NewReader(`{"url":"`+url+`","events":["*"]}`), jsonHeader, &problem)
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, url)
		require.Equal(t, "/problems/validation", problem.Type, url)
	}
}
