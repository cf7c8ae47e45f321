package scan

import (
	"testing"

	"github.com/stretchr/testify/require"

	"trustgate/internal/wxbuild"
)

// A web-view page in a sub-package gives the same flow built, where its
// template is in the sub-package's compiled template code, as from source.
func TestWebViewFlowSameBuiltInSubPackage(t *testing.T) {
	t.Parallel()
	src := map[string][]byte{
		"app.json":               []byte(`{"pages": ["pages/index/index"], "subPackages": [{"root": "packageB", "pages": ["pages/map/index"]}]}`),
		"project.config.json":    []byte(`{}`),
		"app.js":                 []byte("App({})\n"),
		"pages/index/index.js":   []byte("Page({})\n"),
		"pages/index/index.wxml": []byte("<view>home</view>\n"),
		"packageB/pages/map/index.js": []byte(`const h5 = 'https://h5.map.example.com/near?'

Page({
  onLoad() {
    wx.getFuzzyLocation({
      success: (res) => {
        this.setData({ q: 'lat=' + res.latitude, title: 'Near you' })
      }
    })
  }
})
`),
		"packageB/pages/map/index.wxml": []byte("<view>{{title}}</view>\n<web-view src=\"https://h5.map.example.com/near?{{q}}\"></web-view>\n"),
	}
	opts := Options{Platform: PlatformWeChat}
	source := scanWith(t, src, opts)
	require.Equal(t, []string{
		"wx.getFuzzyLocation location packageB/pages/map/index.js:5 -> web-view packageB/pages/map/index.wxml:2 https://h5.map.example.com",
	}, flowKeys(source))
	built, err := wxbuild.Build(src)
	require.NoError(t, err)
	require.Len(t, built.Packages(), 2)
	b := scanWithBytes(t, zipBytes(t, built.Packages()), opts)
	require.Equal(t, source.Flows, b.Flows)
}
