package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gocloud.dev/blob"

	"trustgate/internal/config"
)

// Twenty parallel uploads at one under the daily quota: one is accepted,
// nineteen get 429 problem+json, and the refused ones leave nothing behind:
// no submission, no package in blob storage (so no workflow either, which
// is only ever started for a stored submission).
func TestParallelUploadsAtTheQuota(t *testing.T) {
	t.Parallel()
	const quota = 2
	s := startStack(t, 8<<20, func(c *config.Config) { c.DailyQuota = quota })
	tok, app := s.demo.Tokens["lin-verified"], s.appOf("lin-verified")
	before, _, err := s.store.SubmissionsSince(t.Context(), *s.devID(t, tok), time.Now().Add(-24*time.Hour))
	require.NoError(t, err)
	for i := before; i < quota-1; i++ {
		resp, out := s.upload(t, tok, app, fmt.Sprintf("0.%d.0", i), variant(t, "hello-wechat", fmt.Sprint("seq", i)), "")
		require.Equal(t, http.StatusAccepted, resp.StatusCode, "%v", out)
	}
	blobsBefore := countBlobs(t, s.svc.Blobs)

	type answer struct {
		code        int
		contentType string
		body        map[string]any
		key         string
		pkg         []byte
		version     string
	}
	pkgs := make([][]byte, 20)
	for i := range pkgs {
		pkgs[i] = variant(t, "hello-wechat", fmt.Sprint("par", i))
	}
	answers := make([]answer, 20)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Go(func() {
			a := answer{key: fmt.Sprint("race-", i), pkg: pkgs[i], version: fmt.Sprintf("1.%d.0", i)}
			a.code, a.contentType, a.body = postPackage(s.url, tok, app, a.version, a.pkg, a.key)
			answers[i] = a
		})
	}
	wg.Wait()
	var won []answer
	for _, a := range answers {
		switch a.code {
		case http.StatusAccepted:
			won = append(won, a)
		case http.StatusTooManyRequests:
			require.Equal(t, "application/problem+json", a.contentType)
			require.Equal(t, "/problems/over-quota", a.body["type"], "%v", a.body)
		default:
			t.Fatalf("upload %s: %d %v", a.key, a.code, a.body)
		}
	}
	require.Len(t, won, 1, "exactly one upload fits under the quota")
	n, _, err := s.store.SubmissionsSince(t.Context(), *s.devID(t, tok), time.Now().Add(-24*time.Hour))
	require.NoError(t, err)
	require.Equal(t, quota, n, "refused uploads store no submission")
	require.Equal(t, blobsBefore+1, countBlobs(t, s.svc.Blobs), "refused uploads store no package")

	// A retry of the accepted upload answers with it and does not count.
	code, _, body := postPackage(s.url, tok, app, won[0].version, won[0].pkg, won[0].key)
	require.Equal(t, http.StatusAccepted, code, "%v", body)
	require.Equal(t, won[0].body["id"], body["id"])
	sub := s.settle(t, tok, won[0].body["id"].(string))
	require.Equal(t, "approved", string(sub.State), "the accepted one is reviewed")
}

// devID is the developer behind a developer token.
func (s *stack) devID(t *testing.T, token string) *string {
	t.Helper()
	var me struct {
		Developer *struct {
			ID string `json:"id"`
		} `json:"developer"`
	}
	s.call(t, "GET", "/v1/me", token, nil, nil, &me)
	require.NotNil(t, me.Developer)
	return &me.Developer.ID
}

// postPackage uploads like stack.upload, without failing the test, so that
// it can run on many goroutines.
func postPackage(base, token, appID, version string, pkg []byte, key string) (int, string, map[string]any) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("app_id", appID)
	_ = mw.WriteField("version", version)
	part, _ := mw.CreateFormFile("package", "app.zip")
	_, _ = part.Write(pkg)
	_ = mw.Close()
	req, err := http.NewRequest("POST", base+"/v1/submissions", &body)
	if err != nil {
		return 0, "", map[string]any{"error": err.Error()}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Idempotency-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", map[string]any{"error": err.Error()}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := map[string]any{}
	if err := json.Unmarshal(raw, &out); err != nil {
		out["raw"] = string(raw)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), out
}

func countBlobs(t *testing.T, b *blob.Bucket) int {
	t.Helper()
	n := 0
	it := b.List(&blob.ListOptions{Prefix: "packages/"})
	for {
		_, err := it.Next(t.Context())
		if err == io.EOF {
			return n
		}
		require.NoError(t, err)
		n++
	}
}
