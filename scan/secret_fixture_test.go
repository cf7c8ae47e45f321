package scan

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
)

// secretFiles builds files holding credentials in the formats the rules
// know. They are generated, not committed, so that the repository holds no
// string a secret scanner of a code host would take for a live key; every
// value is random and was never issued by anyone.
func secretFiles() (files map[string]string, secrets map[string]string) {
	rng := rand.New(rand.NewPCG(42, 7))
	pick := func(alphabet string, n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	const (
		upper  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
		alnum  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
		hex    = "0123456789abcdef"
		b64set = alnum + "+/"
	)
	der := make([]byte, 600)
	for i := range der {
		der[i] = byte(rng.IntN(256))
	}
	body := base64.StdEncoding.EncodeToString(der)
	var pem strings.Builder
	pem.WriteString("-----BEGIN " + "RSA PRIVATE KEY-----\n")
	for i := 0; i < len(body); i += 64 {
		pem.WriteString(body[i:min(len(body), i+64)] + "\n")
	}
	pem.WriteString("-----END " + "RSA PRIVATE KEY-----\n")

	secrets = map[string]string{
		"aws":      "AKIA" + pick(upper, 16),
		"github":   "ghp" + "_" + pick(alnum, 36),
		"generic":  pick(alnum, 32),
		"appsec":   pick(hex, 32),
		"mchkey":   pick(alnum, 32),
		"rsa":      "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" + pick(b64set, 200),
		"minified": "ghp" + "_" + pick(alnum, 36),
	}
	var filler strings.Builder
	for filler.Len() < 40<<10 {
		fmt.Fprintf(&filler, "var k%d=o.key||o.token,a%d=function(e){return e.apiKey};", filler.Len(), filler.Len())
	}
	files = map[string]string{
		"config/aws.js":     "module.exports = {\n  region: 'cn-north-1',\n  accessKeyId: '" + secrets["aws"] + "',\n}\n",
		"config/github.js":  "// deploy helper\nconst token = '" + secrets["github"] + "'\n",
		"config/generic.js": "const config = {\n  apiKey: \"" + secrets["generic"] + "\",\n}\n",
		"config/key.pem":    pem.String(),
		"config/app.json5":  "{\n  appId: 'wx0123456789abcdef',\n  appSecret: '" + secrets["appsec"] + "',\n}\n",
		"config/pay.js":     "export const pay = {\n  mchKey: '" + secrets["mchkey"] + "',\n}\n",
		"config/alipay.js":  "const privateKey = '" + secrets["rsa"] + "'\n",
		"vendor/bundle.js":  filler.String() + "var t='" + secrets["minified"] + "';" + filler.String(),
		"config/ok.js": "module.exports = {\n  appSecret: process.env.APP_SECRET,\n  apiKey: 'your-api-key',\n" +
			"  publicKey: '-----BEGIN PUBLIC KEY-----',\n  hash: '" + pick(hex, 32) + "',\n}\n",
	}
	return files, secrets
}
