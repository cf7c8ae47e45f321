package scan

import (
	"bytes"
	"context"
	"testing"
)

// FuzzScan checks the one promise hostile input relies on: whatever the
// bytes, Scan neither panics nor returns an error for an in-memory archive,
// and its report is well formed.
func FuzzScan(f *testing.F) {
	for _, name := range []string{"wechat-valid", "alipay-valid", "wechat-missing-page"} {
		f.Add(fixture(f, name), uint8(0))
	}
	f.Add(craft(f, append(validWeChat(), file("../evil", "x"), file("app.json", "{"))...), uint8(1))
	f.Add(zipFiles(f, weChatApp(`{"pages":["a"],"subpackages":[{"root":"s","pages":["b"]}],"tabBar":{"list":[{"iconPath":"i.png"}]},"permission":{"scope.x":{}}}`, nil)), uint8(2))
	f.Add([]byte("PK\x05\x06"+string(make([]byte, 18))), uint8(3))

	platforms := []Platform{PlatformWeChat, PlatformAlipay, "", "other"}
	f.Fuzz(func(t *testing.T, data []byte, p uint8) {
		opts := Options{Platform: platforms[int(p)%len(platforms)], Limits: Limits{MaxUnpackedBytes: 8 << 20}}
		rep, err := Scan(context.Background(), bytes.NewReader(data), int64(len(data)), opts)
		if err != nil {
			t.Fatalf("Scan returned an error for in-memory input: %v", err)
		}
		for _, fd := range rep.Findings {
			if _, ok := registry[fd.RuleID]; !ok || fd.Fingerprint == "" || fd.Severity != registry[fd.RuleID].Severity {
				t.Fatalf("malformed finding %+v", fd)
			}
		}
	})
}
