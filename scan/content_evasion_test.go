package scan

import (
	"context"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// toTraditional is the inverse of the folding table, as an evader would
// write: every character the table knows, in its traditional form.
var toTraditional = func() map[rune]rune {
	m := map[rune]rune{}
	for t, s := range toSimplified {
		if prev, ok := m[s]; !ok || t < prev {
			m[s] = t // the smallest, so the choice is the same every run
		}
	}
	return m
}()

// fillers are what the property inserts between characters.
var fillers = []string{"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", " ", "\u3000", "·", "-", "*", "，", "。", "/", "_", "~", "★"}

// evade rewrites text as chosen by the bytes of how: each Chinese character
// may get a filler after it, and the whole may be turned to traditional
// or full-width characters.
func evade(text string, how []byte) string {
	next := func() byte {
		if len(how) == 0 {
			return 0
		}
		b := how[0]
		how = how[1:]
		return b
	}
	mode := next()
	var b strings.Builder
	runes := []rune(text)
	for i, r := range runes {
		switch {
		case mode&1 != 0:
			if tr, ok := toTraditional[r]; ok {
				r = tr
			}
		}
		if mode&2 != 0 && '!' <= r && r <= '~' {
			r += 0xFEE0 // full-width form
		} else if mode&2 != 0 && r == ' ' {
			r = '\u3000'
		}
		b.WriteRune(r)
		// Between two characters at least one of which is Chinese: that is
		// where the rules promise to look through fillers.
		if i+1 < len(runes) && (unicode.Is(unicode.Han, runes[i]) || unicode.Is(unicode.Han, runes[i+1])) {
			if f := next(); f&0x80 != 0 {
				b.WriteString(fillers[int(f)%len(fillers)])
			}
		}
	}
	return b.String()
}

// caughtTexts are the corpus's risky texts that are caught as written.
func caughtTexts(t testing.TB) []labelled {
	var out []labelled
	for _, r := range readCorpus(t, "risky.tsv", "") {
		if caughtAs(r.text)[corpusCategory[r.label]] {
			out = append(out, r)
		}
	}
	return out
}

// TestEvasionStillCaught holds the property for every caught text of the
// corpus under a fixed set of rewrites: a filler between every pair of
// characters, each filler kind on its own, traditional, full-width, and
// all of them at once.
func TestEvasionStillCaught(t *testing.T) {
	t.Parallel()
	texts := caughtTexts(t)
	require.NotEmpty(t, texts)
	var hows [][]byte
	for f := range fillers {
		how := []byte{0}
		for range 64 {
			how = append(how, byte(0x80+f))
		}
		hows = append(hows, how, append([]byte{3}, how[1:]...))
	}
	hows = append(hows, []byte{1}, []byte{2}, []byte{3})
	for _, r := range texts {
		rule := corpusCategory[r.label]
		for _, how := range hows {
			ev := evade(r.text, how)
			require.True(t, caughtAs(ev)[rule], "%s: %q caught, %q not", r.where, r.text, ev)
		}
	}
}

// FuzzContentEvasion lets the fuzzer choose the rewrites: whatever fillers
// it inserts between characters, and whether it turns the text to
// traditional or full-width, a caught text stays caught.
func FuzzContentEvasion(f *testing.F) {
	texts := caughtTexts(f)
	f.Add(uint16(0), []byte{0x83, 0x81, 0x90})
	f.Add(uint16(7), []byte{0x01, 0x8f, 0x00, 0x85})
	f.Add(uint16(40), []byte{0x02})
	f.Fuzz(func(t *testing.T, which uint16, how []byte) {
		r := texts[int(which)%len(texts)]
		ev := evade(r.text, how)
		if !caughtAs(ev)[corpusCategory[r.label]] {
			t.Fatalf("%s: %q caught, %q not", r.where, r.text, ev)
		}
	})
}

// TestContentFindingPointsAtTheOriginal checks that normalising does not
// move a finding: line and column are those of the first scoring word in
// the file as written, the snippet is the original line, and the evidence
// holds the words and the normalised text.
func TestContentFindingPointsAtTheOriginal(t *testing.T) {
	t.Parallel()
	tmpl := "<view>\n  <text class=\"a\">欢迎光临</text>\n  <text>新品：貸\u200b款 秒·批，當天到賬</text>\n</view>\n"
	js := "Page({data: {tip: '贷\\u6b3e秒批', ok: '早上好'}})\nconst banner = \"ＵＳＤＴ场外承兑\";\n"
	cfg := "{\n  \"navigationBarTitleText\": \"菠菜平台 上分秒到\"\n}\n"
	zip := zipFiles(t, weChatApp(`{"pages":["pages/index/index"]}`, map[string]string{
		"pages/index/index.wxml": tmpl,
		"pages/index/index.js":   js,
		"pages/index/index.json": cfg,
	}))
	rep, err := Scan(context.Background(), bytesReader(zip), int64(len(zip)), Options{Platform: PlatformWeChat})
	require.NoError(t, err)
	type where struct {
		rule, file string
		line, col  int
	}
	got := map[where]Finding{}
	for _, f := range rep.Findings {
		if strings.HasPrefix(f.RuleID, "CONTENT-") {
			got[where{f.RuleID, f.File, f.Line, f.Column}] = f
		}
	}
	textCol := strings.Index("  <text>新品：貸\u200b款 秒·批，當天到賬</text>", "貸") + 1
	lending, ok := got[where{"CONTENT-002", "pages/index/index.wxml", 3, textCol}]
	require.True(t, ok, "findings: %+v", rep.Findings)
	require.Equal(t, "<text>新品：貸\u200b款 秒·批，當天到賬</text>", lending.Snippet[:len(lending.Snippet)])
	require.NotNil(t, lending.Content)
	require.Equal(t, "lending", lending.Content.Category)
	require.Contains(t, lending.Content.Terms, "贷款秒批")
	require.Contains(t, lending.Content.Normalised, "贷款秒批当天到账")
	require.GreaterOrEqual(t, lending.Content.Score, lending.Content.Threshold)

	// An escaped literal points at its start, the plain one at the term.
	_, ok = got[where{"CONTENT-002", "pages/index/index.js", 1, strings.Index(js, "'贷") + 2}]
	require.True(t, ok, "escaped literal: %+v", got)
	line2 := strings.Split(js, "\n")[1]
	_, ok = got[where{"CONTENT-004", "pages/index/index.js", 2, strings.Index(line2, "ＵＳＤＴ") + 1}]
	require.True(t, ok, "full-width literal: %+v", got)
	_, ok = got[where{"CONTENT-001", "pages/index/index.json", 2, strings.Index(cfg[strings.Index(cfg, "\n")+1:], "菠菜") + 1}]
	require.True(t, ok, "JSON value: %+v", got)
	require.Len(t, got, 4, "the greeting and the class name are no findings: %+v", got)
	require.True(t, utf8.ValidString(lending.Snippet))
}

// Letters spaced out one by one beside Chinese text are read as the word
// they spell; words of several letters keep their spaces, so a sentence
// does not run together.
func TestLoneLettersJoin(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"U S D T 场 外":        "usdt场外",
		"Ｕ　Ｓ\u200b　Ｄ　Ｔ 場外":   "usdt场外",
		"p a y d a y 贷款":     "payday贷款",
		"买 USDT 就找我":         "买usdt就找我",
		"new arrivals 新品 上架": "new arrivals新品上架",
		"a big sale 大促":      "a big sale大促",
		"size S M L 尺码":      "size sml尺码",
		"U.S.D.T 场外":         "usdt场外",
	} {
		require.Equal(t, want, normaliseString(in), "%q", in)
	}
}
