package scan

import (
	"testing"

	"github.com/stretchr/testify/require"

	"trustgate/internal/wxbuild"
)

// flowApps are realistic apps written for the flow analysis: a shop
// logging in with the phone number and sending the address with the
// order, a map sending the location to its server, a tracking socket and
// a taxi mini-program, and sign-up and feedback forms, one of them in a
// sub-package posting over plain http.
var flowApps = map[string][]string{
	"shop": {
		"wx.login login_code app.js:6 -> wx.request utils/request.js:5 https://api.teashop.example.com",
		"wx.chooseAddress address pages/address/index.js:7 -> wx.request utils/request.js:5 https://api.teashop.example.com",
		"onGetPhoneNumber phone pages/login/index.js:10 -> wx.request utils/request.js:5 https://api.teashop.example.com",
	},
	"map": {
		"wx.getLocation location pages/map/index.js:7 -> wx.request utils/api.js:5 https://map.example.cn",
		"wx.onLocationChange location pages/map/index.js:16 -> wx.sendSocketMessage utils/api.js:18 https://track.example.cn",
		"wx.chooseLocation location pages/map/index.js:23 -> wx.navigateToMiniProgram pages/map/index.js:26",
	},
	"forms": {
		"wx.chooseMedia photo packageB/pages/feedback/index.js:6 -> wx.request utils/http.js:8 http://old.forms.example.com",
		"submitFeedback input packageB/pages/feedback/index.js:11 -> wx.request utils/http.js:8 http://old.forms.example.com",
		"onNameInput input pages/signup/index.js:6 -> wx.uploadFile pages/signup/index.js:13 https://forms.example.com",
		"onChooseAvatar photo pages/signup/index.js:9 -> wx.uploadFile pages/signup/index.js:13 https://forms.example.com",
		"onSubmit input pages/signup/index.js:12 -> wx.uploadFile pages/signup/index.js:13 https://forms.example.com",
	},
}

// Each app gives its flows, the same from its source zip and from every
// built form (the .wxapkg files in a zip, the main .wxapkg alone when
// there is no sub-package, the unpacked build), at the same module paths
// and lines, with the same PRIV findings and no critical finding.
func TestFlowsSameInBuiltAndSourceApps(t *testing.T) {
	t.Parallel()
	for app, want := range flowApps {
		t.Run(app, func(t *testing.T) {
			t.Parallel()
			src := readFixture(t, "flow-apps/"+app)
			opts := Options{Platform: PlatformWeChat}
			source := scanWith(t, src, opts)
			require.Equal(t, want, flowKeys(source))
			require.NotEqual(t, SeverityCritical, source.Worst(), "%v", findingKeys(source))

			built, err := wxbuild.Build(src)
			require.NoError(t, err)
			forms := map[string][]byte{
				"wxapkg files in a zip": zipBytes(t, built.Packages()),
				"unpacked build":        zipBytes(t, built.Unpacked()),
			}
			if len(built.Packages()) == 1 {
				forms["main wxapkg"] = wxbuild.Pack(built.Main)
			}
			for name, pkg := range forms {
				b := scanWithBytes(t, pkg, opts)
				require.Equal(t, want, flowKeys(b), name)
				require.Equal(t, source.Flows, b.Flows, "%s: steps too", name)
				require.Equal(t, privKeys(source), privKeys(b), name)
				require.NotEqual(t, SeverityCritical, b.Worst(), "%s: %v", name, findingKeys(b))
			}
		})
	}
}

// The propagation fixture, ES modules and template handlers included,
// gives the same flows built as from source.
func TestFlowFixtureSameBuilt(t *testing.T) {
	t.Parallel()
	src := readFixture(t, "wechat-flows")
	opts := Options{Platform: PlatformWeChat}
	source := scanWith(t, src, opts)
	require.Len(t, source.Flows, 16)
	built, err := wxbuild.Build(src)
	require.NoError(t, err)
	b := scanWithBytes(t, wxbuild.Pack(built.Main), opts)
	require.Equal(t, flowKeys(source), flowKeys(b))
	require.Equal(t, source.Flows, b.Flows)
}
