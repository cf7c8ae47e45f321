package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
)

// etagOf is a strong entity tag of an object as the API renders it: the
// same JSON, the same tag.
func etagOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic("etag of an object that does not encode: " + err.Error()) // our own types always encode
	}
	h := sha256.Sum256(b)
	return `"` + hex.EncodeToString(h[:12]) + `"`
}

// ifMatch reports whether an If-Match header admits an object with the
// given tag: "*" admits any, otherwise one of the listed tags must equal it
// (strong comparison, so weak tags never match, as RFC 9110 says).
func ifMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}
