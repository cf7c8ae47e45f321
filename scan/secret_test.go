package scan

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// corpusFile is one text file the secret comparison reads.
type corpusFile struct {
	name string
	data []byte
}

// secretCorpus is every text file of the fixtures and, when available, of
// the real libraries.
func secretCorpus(tb testing.TB, withNPM bool) []corpusFile {
	tb.Helper()
	var out []corpusFile
	err := filepath.WalkDir("testdata", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if textFile(&entry{clean: p, data: b, read: true}) {
			out = append(out, corpusFile{name: p, data: b})
		}
		return nil
	})
	require.NoError(tb, err)
	files, _ := secretFiles()
	for _, name := range sortedKeys(files) {
		out = append(out, corpusFile{name: "generated/" + name, data: []byte(files[name])})
	}
	if withNPM {
		for _, app := range npmApps(tb) {
			for _, name := range sortedKeys(app.files) {
				b := []byte(app.files[name])
				if textFile(&entry{clean: name, data: b, read: true}) {
					out = append(out, corpusFile{name: app.name + "/" + name, data: b})
				}
			}
		}
	}
	return out
}

func TestSecretWindowsFindWhatGitleaksFinds(t *testing.T) {
	t.Parallel()
	engine, err := secretEngineOnce()
	require.NoError(t, err)
	var want, got []string
	for _, f := range secretCorpus(t, true) {
		for _, l := range engine.full.DetectBytes(f.data) {
			want = append(want, fmt.Sprintf("%s %s:%d", l.RuleID, f.name, l.StartLine+1))
		}
		for _, l := range engine.detect(f.data, newText(f.data), asciiLower(f.data)) {
			got = append(got, fmt.Sprintf("%s %s:%d", l.rule, f.name, l.line))
		}
	}
	sort.Strings(want)
	sort.Strings(got)
	want, got = uniq(want), uniq(got)
	require.NotEmpty(t, want, "the fixtures hold secrets gitleaks knows")
	require.Equal(t, strings.Join(want, "\n"), strings.Join(got, "\n"))
}

func uniq(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func TestSecretRules(t *testing.T) {
	t.Parallel()
	files, secrets := secretFiles()
	rep := scanBytes(t, zipFiles(t, weChatApp(`{"pages":["pages/index/index"]}`, files)), PlatformWeChat)
	tests := []struct {
		name   string
		rule   string
		file   string
		line   int
		secret string
	}{
		{"cloud access key by gitleaks", "SECRET-001", "config/aws.js", 3, "aws"},
		{"code host token by gitleaks", "SECRET-001", "config/github.js", 2, "github"},
		{"generic assignment by gitleaks", "SECRET-002", "config/generic.js", 2, "generic"},
		{"PEM private key by gitleaks", "SECRET-001", "config/key.pem", 1, ""},
		{"token inside a long minified line", "SECRET-001", "vendor/bundle.js", 1, "minified"},
		{"AppSecret next to its name", "SECRET-003", "config/app.json5", 3, "appsec"},
		{"headerless RSA signing key", "SECRET-004", "config/alipay.js", 1, "rsa"},
		{"merchant key next to its name", "SECRET-005", "config/pay.js", 2, "mchkey"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			found := false
			for _, f := range rep.Findings {
				if f.RuleID == tc.rule && f.File == tc.file && f.Line == tc.line {
					found = true
					if tc.secret != "" {
						require.NotContains(t, f.Snippet, secrets[tc.secret][4:], "snippet is redacted")
						require.Contains(t, f.Snippet, "****")
						require.Positive(t, f.Column)
					}
				}
			}
			require.True(t, found, "want %s at %s:%d in %+v", tc.rule, tc.file, tc.line, rep.Findings)
		})
	}
	for _, f := range rep.Findings {
		require.NotEqual(t, "config/ok.js", f.File, "placeholders and public keys are not secrets: %+v", f)
	}
}

func TestPlatformSearchFindsWhatTheWholeFilePatternFinds(t *testing.T) {
	t.Parallel()
	files, _ := secretFiles()
	corpus := append(secretCorpus(t, true), corpusFile{name: "prefixed", data: []byte("x" + files["config/app.json5"] + "ſecret: 'abc'")})
	for _, f := range corpus {
		lower := asciiLower(f.data)
		for i, p := range platformSecretRules {
			want := p.re.FindAllSubmatchIndex(f.data, maxPerRule)
			got := platformSearches[i].findAll(f.data, lower, maxPerRule)
			require.Equal(t, want, got, "%s on %s", p.rule.ID, f.name)
		}
	}
}
