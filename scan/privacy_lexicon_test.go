package scan

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPolicyKindsNamesKinds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		text string
		want []string // kinds named, in vocabulary order
	}{
		{"zh location", "我们会收集您的地理位置，用于推荐附近门店。", []string{"location"}},
		{"zh location as 定位", "为提供配送服务，我们需要获取定位。", []string{"location"}},
		{"zh phone number", "我们将获取您的手机号码用于登录。", []string{"phone"}},
		{"zh phone as 电话号码", "您的电话号码仅用于联系您。", []string{"phone"}},
		{"zh device identifier and IMEI", "我们会收集设备标识（IMEI）。", []string{"device"}},
		{"zh several kinds in one sentence", "我们收集您的收货地址、头像、昵称及相册中的照片。", []string{"address", "user_info", "photo"}},
		{"zh clipboard both spellings", "读取剪切板。读取剪贴板。", []string{"clipboard"}},
		{"zh contacts", "经您同意后访问通讯录。", []string{"contacts"}},
		{"zh run data", "我们会读取您的微信运动步数。", []string{"run_data"}},
		{"zh invoice title", "您选择的发票抬头将用于开票。", []string{"invoice"}},
		{"zh bluetooth and wifi", "连接蓝牙设备及 Wi-Fi 网络。", []string{"bluetooth", "wifi"}},
		{"traditional characters", "我們會收集您的地理位置與手機號碼。", []string{"location", "phone"}},
		{"full-width letters", "我们读取您的ＩＭＥＩ和Ｗｉ－Ｆｉ信息。", []string{"wifi", "device"}},
		{"spaces between characters", "收 集 您 的 手 机 号", []string{"phone"}},
		{"en location and phone", "We collect your location and your phone number.", []string{"location", "phone"}},
		{"en upper case", "WE COLLECT YOUR GEOLOCATION.", []string{"location"}},
		{"en device identifier", "We read device identifiers such as the IMEI.", []string{"device"}},
		{"en clipboard and contacts", "We never read the clipboard or your contacts.", []string{"clipboard", "contacts"}},
		{"en photos", "Photos you upload are stored for 30 days.", []string{"photo"}},
		{"en shipping address", "Your shipping address is shared with the courier.", []string{"address"}},

		{"en word inside a longer word", "Budget allocation and relocation are discussed.", nil},
		{"en phone alone is not a phone number", "Contact us by phone.", nil},
		{"en email address is not an address", "Write to the email address below.", nil},
		{"en IP address is not an address", "Logs keep the IP address.", nil},
		{"en address book is contacts, not address", "We read your address book.", []string{"contacts"}},
		{"en profile photo is user info, not photo", "We show your profile photo.", []string{"user_info"}},
		{"zh IP address is not an address", "服务器会记录IP地址。", nil},
		{"zh web address is not an address", "请访问我们的网址。", nil},
		{"zh customer service phone is not the user's", "如有疑问请拨打客服电话号码 400-000。", nil},
		{"zh product positioning is not location", "本产品定位于年轻用户。", nil},
		{"nothing personal", "本政策自发布之日起生效。", nil},
		{"empty", "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := PolicyKinds(tc.text)
			require.Equal(t, tc.want, kindsOf(got), "%q", tc.text)
		})
	}
}

func kindsOf(m map[string][]Sentence) []string {
	if len(m) == 0 {
		return nil
	}
	return sortedKinds(m)
}

func TestPolicyKindsSentences(t *testing.T) {
	t.Parallel()
	policy := "隐私政策\n" +
		"一、我们收集的信息。为推荐门店，我们会获取您的位置！您可以拒绝；\n" +
		"We use e.g. api.example.com to store data.  We collect your phone number? Yes\n" +
		"\n" +
		"  最后，我们会读取 剪贴板。"
	got := PolicyKinds(policy)
	require.Equal(t, []string{"location", "phone", "clipboard"}, kindsOf(got))

	loc := got["location"]
	require.Len(t, loc, 1)
	require.Equal(t, "为推荐门店，我们会获取您的位置！", loc[0].Text)
	require.Equal(t, 2, loc[0].Line)
	require.Equal(t, strings.Index(policy, "为推荐门店"), loc[0].Offset)
	require.Equal(t, "位置", loc[0].Term)

	phone := got["phone"]
	require.Len(t, phone, 1)
	require.Equal(t, "We collect your phone number?", phone[0].Text, "a dot inside e.g. or a host name does not end a sentence")
	require.Equal(t, 3, phone[0].Line)
	require.Equal(t, strings.Index(policy, "We collect"), phone[0].Offset)

	clip := got["clipboard"]
	require.Len(t, clip, 1)
	require.Equal(t, "最后，我们会读取 剪贴板。", clip[0].Text)
	require.Equal(t, 5, clip[0].Line)
	require.Equal(t, strings.Index(policy, "最后"), clip[0].Offset)
}

func TestPolicyKindsIsBounded(t *testing.T) {
	t.Parallel()
	// A kind named in every sentence keeps the first few as evidence.
	got := PolicyKinds(strings.Repeat("我们收集位置。", 50))
	require.Len(t, got["location"], maxKindSentences)
	require.Equal(t, 0, got["location"][0].Offset)

	// Past the limit the text is not read, even mid-character.
	long := strings.Repeat("无关", MaxPrivacyPolicyBytes/6) + "x" + strings.Repeat("。我们收集手机号", 10)
	require.Empty(t, PolicyKinds(long)["phone"])
	require.NotEmpty(t, PolicyKinds(long[len(long)/2:])["phone"])
}

func TestPrivacyLexiconIsWellFormed(t *testing.T) {
	t.Parallel()
	require.NotEmpty(t, PrivacyLexiconVersion())
	for _, k := range PrivacyKinds() {
		for _, w := range append(append([]string{}, k.ZH...), k.EN...) {
			// Each synonym must find itself in a sentence of its own,
			// so that no exclusion silently swallows a synonym.
			got := PolicyKinds("我们收集 " + w + " 。")
			require.Contains(t, kindsOf(got), k.Kind, "synonym %q of %s does not match", w, k.Kind)
		}
	}
}

// FuzzPolicyKinds checks that any text is read without a panic and that
// every sentence reported is where it says it is: its text starts at its
// offset, on its line, and names a kind of the vocabulary.
func FuzzPolicyKinds(f *testing.F) {
	f.Add("我们会收集您的地理位置。We collect your phone number.\n剪 贴 板")
	f.Add("IP地址；email address! relocation?\r\n\u3000手機號碼．")
	f.Add("\xff\xfe。\n\n.")
	f.Fuzz(func(t *testing.T, text string) {
		for kind, sentences := range PolicyKinds(text) {
			if !knownPrivacyKind(kind) || len(sentences) == 0 || len(sentences) > maxKindSentences {
				t.Fatalf("kind %q with %d sentences", kind, len(sentences))
			}
			for _, s := range sentences {
				if s.Offset < 0 || s.Offset >= len(text) || s.Line < 1 || s.Term == "" {
					t.Fatalf("malformed sentence %+v", s)
				}
				if want := strings.Count(text[:s.Offset], "\n") + 1; s.Line != want {
					t.Fatalf("sentence at %d says line %d, is on line %d", s.Offset, s.Line, want)
				}
				if s.Text != printable(s.Text, 0) && !strings.HasSuffix(s.Text, "…") {
					t.Fatalf("sentence text is not printable: %q", s.Text)
				}
			}
		}
	})
}

// BenchmarkPolicyKinds reads a policy of the largest size read, made of
// sentences as real policies write them, half naming a kind.
func BenchmarkPolicyKinds(b *testing.B) {
	para := "为向您推荐附近门店，我们会收集您的地理位置信息。我们不会将您的信息出售给任何第三方。" +
		"We collect your phone number to sign you in. Cookies help us understand how the service is used.\n"
	policy := strings.Repeat(para, MaxPrivacyPolicyBytes/len(para))
	b.SetBytes(int64(len(policy)))
	b.ResetTimer()
	for b.Loop() {
		if len(PolicyKinds(policy)) != 2 {
			b.Fatal("want location and phone")
		}
	}
}

// The flow analysis and the declaration checks speak of the same data
// kinds: a kind one of them knows and the other does not would make a flow
// that no declaration can cover, or a declaration no flow can match.
func TestFlowAndLexiconKindsAreTheSame(t *testing.T) {
	t.Parallel()
	var lexicon []string
	for _, k := range PrivacyKinds() {
		lexicon = append(lexicon, k.Kind)
	}
	require.ElementsMatch(t, lexicon, flowKinds())
}
