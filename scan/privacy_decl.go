package scan

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Bounds on a privacy declaration. The vocabulary has fewer kinds than
// maxDeclItems, so a real declaration never comes close; the bounds are
// there so that a hostile one costs nothing to refuse.
const (
	MaxPrivacyDeclarationBytes = 64 << 10
	maxDeclItems               = 64
	maxPurposeRunes            = 500
	maxRecipients              = 20
	maxRecipientRunes          = 200
)

// PrivacyDeclarationSchema is the JSON Schema of a privacy declaration,
// for the OpenAPI document and for developers' editors. ParsePrivacyDeclaration
// is the authority; a test keeps the two in step.
//
//go:embed privacy_declaration.schema.json
var PrivacyDeclarationSchema []byte

// DeclarationError is why a privacy declaration was refused, written for
// the developer who sent it. Pointer is the JSON Pointer of the offending
// value ("/items/2/kind", "" for the whole document), for a
// problem+json response to point at.
type DeclarationError struct {
	Pointer string
	Reason  string
}

func (e *DeclarationError) Error() string {
	if e.Pointer == "" {
		return "privacy declaration: " + e.Reason
	}
	return fmt.Sprintf("privacy declaration at %s: %s", e.Pointer, e.Reason)
}

// ParsePrivacyDeclaration reads a privacy declaration as a developer sends
// it: one JSON object {"items": [...]}, no unknown fields, no trailing
// data, at most MaxPrivacyDeclarationBytes, and each item valid (see
// Validate). The error is a *DeclarationError.
func ParsePrivacyDeclaration(data []byte) (PrivacyDeclaration, error) {
	if len(data) > MaxPrivacyDeclarationBytes {
		return PrivacyDeclaration{}, &DeclarationError{Reason: fmt.Sprintf("%d bytes is more than the %d a declaration may have", len(data), MaxPrivacyDeclarationBytes)}
	}
	if !utf8.Valid(data) {
		return PrivacyDeclaration{}, &DeclarationError{Reason: "not valid UTF-8 text"}
	}
	var doc struct {
		Items *[]PrivacyItem `json:"items"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return PrivacyDeclaration{}, &DeclarationError{Reason: jsonErrorReason(err)}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return PrivacyDeclaration{}, &DeclarationError{Reason: "unexpected data after the JSON object; send exactly one object"}
	}
	if doc.Items == nil {
		return PrivacyDeclaration{}, &DeclarationError{Reason: `"items" is missing: send {"items": [...]}, an empty list if the app collects nothing`}
	}
	d := PrivacyDeclaration{Items: *doc.Items}
	if err := d.Validate(); err != nil {
		return PrivacyDeclaration{}, err
	}
	return d, nil
}

// Validate checks a declaration however it was built: each item names a
// kind of the vocabulary once, says why in a purpose, and lists
// recipients only when it shares with third parties. The error is a
// *DeclarationError naming the item.
func (d PrivacyDeclaration) Validate() error {
	if len(d.Items) > maxDeclItems {
		return &DeclarationError{Pointer: "/items", Reason: fmt.Sprintf("%d items is more than the %d allowed; declare each data kind once", len(d.Items), maxDeclItems)}
	}
	seen := map[string]int{}
	for i, it := range d.Items {
		at := fmt.Sprintf("/items/%d", i)
		name := fmt.Sprintf("item %d", i)
		if it.Kind != "" {
			name = fmt.Sprintf("item %d (%q)", i, printable(it.Kind, 40))
		}
		switch {
		case it.Kind == "":
			return &DeclarationError{Pointer: at + "/kind", Reason: name + ": kind is missing; use one of " + strings.Join(privacyKindNames(), ", ")}
		case !knownPrivacyKind(it.Kind):
			return &DeclarationError{Pointer: at + "/kind", Reason: name + ": unknown data kind; use one of " + strings.Join(privacyKindNames(), ", ")}
		}
		if first, dup := seen[it.Kind]; dup {
			return &DeclarationError{Pointer: at + "/kind", Reason: fmt.Sprintf("%s: kind already declared by item %d; declare each kind once", name, first)}
		}
		seen[it.Kind] = i
		purpose := strings.TrimSpace(it.Purpose)
		switch {
		case purpose == "":
			return &DeclarationError{Pointer: at + "/purpose", Reason: name + ": purpose is empty; say why the app collects this data"}
		case utf8.RuneCountInString(it.Purpose) > maxPurposeRunes:
			return &DeclarationError{Pointer: at + "/purpose", Reason: fmt.Sprintf("%s: purpose is longer than %d characters", name, maxPurposeRunes)}
		}
		if !it.ThirdParty && len(it.Recipients) > 0 {
			return &DeclarationError{Pointer: at + "/recipients", Reason: name + `: recipients are listed but "third_party" is false; set it to true or remove the recipients`}
		}
		if len(it.Recipients) > maxRecipients {
			return &DeclarationError{Pointer: at + "/recipients", Reason: fmt.Sprintf("%s: %d recipients is more than the %d allowed", name, len(it.Recipients), maxRecipients)}
		}
		for j, r := range it.Recipients {
			if strings.TrimSpace(r) == "" || utf8.RuneCountInString(r) > maxRecipientRunes {
				return &DeclarationError{Pointer: fmt.Sprintf("%s/recipients/%d", at, j), Reason: fmt.Sprintf("%s: recipient %d must be a name of 1 to %d characters", name, j, maxRecipientRunes)}
			}
		}
	}
	return nil
}

// Declares reports whether the declaration lists kind.
func (d PrivacyDeclaration) Declares(kind string) bool {
	_, ok := d.Item(kind)
	return ok
}

// Item returns the item declaring kind.
func (d PrivacyDeclaration) Item(kind string) (PrivacyItem, bool) {
	for _, it := range d.Items {
		if it.Kind == kind {
			return it, true
		}
	}
	return PrivacyItem{}, false
}

// jsonErrorReason turns a decoding error into words for the developer,
// without Go type names.
func jsonErrorReason(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return "empty; send a JSON object {\"items\": [...]}"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends too early"
	case errors.As(err, &syn):
		return fmt.Sprintf("not valid JSON at byte %d: %s", syn.Offset, syn.Error())
	case errors.As(err, &typ):
		want := map[string]string{"string": "a string", "bool": "true or false", "[]scan.PrivacyItem": "a list of items", "[]string": "a list of strings", "scan.PrivacyItem": "an object"}[typ.Type.String()]
		if want == "" {
			want = "a different type"
		}
		if typ.Field == "" {
			return "must be a JSON object {\"items\": [...]}"
		}
		return fmt.Sprintf("%s must be %s, not a JSON %s", typ.Field, want, typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ") + "; an item has kind, purpose, third_party and recipients"
	}
	return "not a valid declaration: " + err.Error()
}
