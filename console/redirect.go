package console

import (
	"net/url"
	"unicode"
	"unicode/utf8"
)

// localPath is where the console sends a person back to after a redirect
// whose target the request names (the language switch's back, a task form's
// back): to, if a browser resolves it to a path on this site, else fallback.
//
// The check is on what a browser does with the Location header, not on
// what Go's URL parser makes of it. The WHATWG URL parser removes tabs and
// newlines anywhere in a URL, strips leading and trailing control characters
// and spaces, and reads a backslash as a slash in http(s) URLs; so
// "/\t/evil.example" and "/\\evil.example" both become "//evil.example",
// another site. Hence: exactly one leading slash, then no slash or backslash
// right after it, no backslash anywhere, and no control character or
// whitespace (ASCII or Unicode) anywhere; a value that is not UTF-8 is
// refused too, rather than guessing how a browser reads its bytes.
func localPath(to, fallback string) string {
	if len(to) == 0 || to[0] != '/' || (len(to) > 1 && (to[1] == '/' || to[1] == '\\')) {
		return fallback
	}
	if !utf8.ValidString(to) {
		return fallback
	}
	for _, r := range to {
		if r == '\\' || r < 0x20 || r == 0x7f || unicode.IsControl(r) || unicode.IsSpace(r) ||
			unicode.Is(unicode.Zs, r) || unicode.Is(unicode.Cf, r) {
			return fallback
		}
	}
	// What is left has no scheme and no host; Go's parser agreeing is a
	// second look, not the rule.
	if u, err := url.Parse(to); err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return fallback
	}
	return to
}
