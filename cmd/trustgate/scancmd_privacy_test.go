package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"trustgate/scan"
)

func TestScanPrivacyFlags(t *testing.T) {
	t.Parallel()
	valid := filepath.Join("..", "..", "scan", "testdata", "wechat-valid")
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	good := write("good.json", `{"items":[{"kind":"contacts","purpose":"invite friends"}]}`)
	bad := write("bad.json", `{"items":[{"kind":"contacts","purpose":"a"},{"kind":"locaton","purpose":"b"}]}`)
	policy := write("policy.txt", "我们会读取您的通讯录，用于邀请好友。")
	huge := write("huge.txt", strings.Repeat("x", scan.MaxPrivacyPolicyBytes+1))

	t.Run("a bad declaration is a message and exit 2", func(t *testing.T) {
		t.Parallel()
		err := runScan(context.Background(), []string{"--privacy", bad, valid}, &bytes.Buffer{})
		var ee *exitError
		require.True(t, errors.As(err, &ee), "want an exit code, got %v", err)
		require.Equal(t, scanExitError, ee.code)
		require.Contains(t, ee.msg, `item 1 ("locaton"): unknown data kind`)
	})
	t.Run("a missing declaration file is exit 2", func(t *testing.T) {
		t.Parallel()
		err := runScan(context.Background(), []string{"--privacy", filepath.Join(dir, "none.json"), valid}, &bytes.Buffer{})
		var ee *exitError
		require.True(t, errors.As(err, &ee))
		require.Equal(t, scanExitError, ee.code)
	})
	t.Run("a policy past the limit is exit 2", func(t *testing.T) {
		t.Parallel()
		err := runScan(context.Background(), []string{"--privacy-policy", huge, valid}, &bytes.Buffer{})
		var ee *exitError
		require.True(t, errors.As(err, &ee))
		require.Equal(t, scanExitError, ee.code)
		require.Contains(t, ee.msg, "larger than")
	})
	t.Run("the declaration reaches the rules", func(t *testing.T) {
		t.Parallel()
		var out bytes.Buffer
		require.NoError(t, runScan(context.Background(), []string{"--format", "json", "--privacy", good, "--privacy-policy", policy, valid}, &out))
		var rep struct {
			Findings []scan.Finding `json:"findings"`
		}
		require.NoError(t, json.Unmarshal(out.Bytes(), &rep))
		var unused []scan.Finding
		for _, f := range rep.Findings {
			if f.RuleID == "PRIV-011" {
				unused = append(unused, f)
			}
		}
		require.Len(t, unused, 1, "%s", out.String())
		require.Equal(t, "contacts", unused[0].Privacy.Kind)
		require.Equal(t, "invite friends", unused[0].Privacy.Purpose)
	})
}
