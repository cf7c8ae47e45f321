package e2e

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustgate/internal/config"
)

// An upload that sends its headers and part of its body and then stops is
// cut off with 408 problem+json once the body's stall timeout passes, and
// the temporary file intake spooled it to is removed.
func TestStalledUploadIsCutOffAndItsTempFileRemoved(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20, func(c *config.Config) {
		c.HTTPBodyStall, c.HTTPBodyMinRate, c.HTTPWriteTimeout = 300*time.Millisecond, 1024, 10*time.Second
	})
	tok, app := s.demo.Tokens["lin-verified"], s.appOf("lin-verified")
	marker := make([]byte, 16)
	_, _ = rand.Read(marker)
	chunk := bytes.Repeat([]byte(hex.EncodeToString(marker)), 2048) // 64 KiB the server writes out before it waits
	head := "--B\r\nContent-Disposition: form-data; name=\"app_id\"\r\n\r\n" + app + "\r\n" +
		"--B\r\nContent-Disposition: form-data; name=\"package\"; filename=\"app.zip\"\r\nContent-Type: application/zip\r\n\r\n"

	u, err := url.Parse(s.url)
	require.NoError(t, err)
	conn, err := net.Dial("tcp", u.Host)
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "POST /v1/submissions HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: multipart/form-data; boundary=B\r\nContent-Length: %d\r\n\r\n%s", u.Host, tok, 1<<20, head)
	require.NoError(t, err)
	_, err = conn.Write(chunk)
	require.NoError(t, err)

	var spooled string
	require.Eventually(t, func() bool {
		spooled = uploadFileHolding(t, chunk[:64])
		return spooled != ""
	}, 10*time.Second, 10*time.Millisecond, "intake spools the upload to a temporary file")

	// The client sends nothing more. The deadline only ends a test whose
	// server would wait for ever.
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(30*time.Second)))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err, "the server answers a stalled upload instead of waiting for it")
	defer resp.Body.Close()
	require.Equal(t, http.StatusRequestTimeout, resp.StatusCode)
	require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
	var problem map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&problem))
	require.Equal(t, "/problems/body-timeout", problem["type"])
	require.Eventually(t, func() bool {
		_, err := os.Stat(spooled)
		return os.IsNotExist(err)
	}, 10*time.Second, 10*time.Millisecond, "the temporary file %s is removed", spooled)
}

// A slow but steady upload that takes several times the stall timeout is
// accepted: the body's deadline moves on as bytes arrive.
func TestSlowSteadyUploadIsAccepted(t *testing.T) {
	t.Parallel()
	s := startStack(t, 8<<20, func(c *config.Config) {
		c.HTTPBodyStall, c.HTTPBodyMinRate, c.HTTPWriteTimeout = time.Second, 1024, 10*time.Second
	})
	tok, app := s.demo.Tokens["lin-verified"], s.appOf("lin-verified")
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	require.NoError(t, mw.WriteField("app_id", app))
	require.NoError(t, mw.WriteField("version", "1.0.0"))
	part, err := mw.CreateFormFile("package", "app.zip")
	require.NoError(t, err)
	_, err = part.Write(variant(t, "hello-wechat", "slow"))
	require.NoError(t, err)
	require.NoError(t, mw.Close())

	req, err := http.NewRequest("POST", s.url+"/v1/submissions", &trickle{data: body.Bytes(), parts: 15, pause: 200 * time.Millisecond})
	require.NoError(t, err)
	req.ContentLength = int64(body.Len())
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
}

// trickle hands out data in parts with a pause before each, as a slow
// link delivers it.
type trickle struct {
	data  []byte
	parts int
	pause time.Duration
	sent  int
}

func (r *trickle) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	time.Sleep(r.pause)
	n := min(len(p), max(1, len(r.data)/(r.parts-r.sent)))
	if r.sent < r.parts-1 {
		r.sent++
	}
	n = copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

// uploadFileHolding finds the temporary upload file that begins with
// prefix (other tests upload at the same time).
func uploadFileHolding(t *testing.T, prefix []byte) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(os.TempDir(), "trustgate-upload-*.zip"))
	require.NoError(t, err)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err == nil && bytes.HasPrefix(b, prefix) {
			return f
		}
	}
	return ""
}
