package scan

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParsePrivacyDeclaration(t *testing.T) {
	t.Parallel()
	valid := `{"items":[{"kind":"location","purpose":"show nearby stores"},{"kind":"phone","purpose":"login","third_party":true,"recipients":["SMS Co."]}]}`
	cases := []struct {
		name    string
		in      string
		pointer string // "" with wantErr: the whole document
		wantErr string // "" when the declaration is valid
	}{
		{"two valid items", valid, "", ""},
		{"an empty list declares nothing", `{"items":[]}`, "", ""},
		{"unknown kind names the item and the vocabulary", `{"items":[{"kind":"location","purpose":"x"},{"kind":"locaton","purpose":"x"}]}`, "/items/1/kind", `item 1 ("locaton"): unknown data kind; use one of location, address,`},
		{"missing kind", `{"items":[{"purpose":"x"}]}`, "/items/0/kind", "item 0: kind is missing"},
		{"empty purpose", `{"items":[{"kind":"phone","purpose":""}]}`, "/items/0/purpose", `item 0 ("phone"): purpose is empty`},
		{"blank purpose", `{"items":[{"kind":"phone","purpose":" \n\t"}]}`, "/items/0/purpose", `item 0 ("phone"): purpose is empty`},
		{"missing purpose", `{"items":[{"kind":"phone"}]}`, "/items/0/purpose", "purpose is empty"},
		{"purpose too long", `{"items":[{"kind":"phone","purpose":"` + strings.Repeat("长", maxPurposeRunes+1) + `"}]}`, "/items/0/purpose", "purpose is longer than 500 characters"},
		{"duplicate kind names both items", `{"items":[{"kind":"photo","purpose":"a"},{"kind":"device","purpose":"b"},{"kind":"photo","purpose":"c"}]}`, "/items/2/kind", `item 2 ("photo"): kind already declared by item 0`},
		{"recipients without third_party", `{"items":[{"kind":"phone","purpose":"a","recipients":["X"]}]}`, "/items/0/recipients", `"third_party" is false`},
		{"blank recipient", `{"items":[{"kind":"phone","purpose":"a","third_party":true,"recipients":["X"," "]}]}`, "/items/0/recipients/1", "recipient 1 must be a name"},
		{"too many recipients", `{"items":[{"kind":"phone","purpose":"a","third_party":true,"recipients":[` + strings.TrimSuffix(strings.Repeat(`"r",`, maxRecipients+1), ",") + `]}]}`, "/items/0/recipients", "21 recipients is more than the 20 allowed"},
		{"too large", `{"items":[{"kind":"phone","purpose":"` + strings.Repeat("a", MaxPrivacyDeclarationBytes) + `"}]}`, "", "more than the 65536 a declaration may have"},
		{"too many items", `{"items":[` + strings.TrimSuffix(strings.Repeat(`{"kind":"phone","purpose":"a"},`, maxDeclItems+1), ",") + `]}`, "/items", "65 items is more than the 64 allowed"},
		{"unknown field", `{"items":[{"kind":"phone","purpose":"a","share":true}]}`, "", `unknown field "share"`},
		{"unknown top-level field", `{"items":[],"version":2}`, "", `unknown field "version"`},
		{"trailing data", `{"items":[]} {"items":[]}`, "", "unexpected data after the JSON object"},
		{"items missing", `{}`, "", `"items" is missing`},
		{"null", `null`, "", `"items" is missing`},
		{"empty", ``, "", "empty"},
		{"an array, not an object", `[{"kind":"phone"}]`, "", "must be a JSON object"},
		{"kind of the wrong type", `{"items":[{"kind":7,"purpose":"a"}]}`, "", "items.kind must be a string, not a JSON number"},
		{"third_party of the wrong type", `{"items":[{"kind":"phone","purpose":"a","third_party":"yes"}]}`, "", "items.third_party must be true or false, not a JSON string"},
		{"broken JSON", `{"items":[`, "", "the JSON ends too early"},
		{"syntax error", `{"items":[}`, "", "not valid JSON at byte"},
		{"not UTF-8", "{\"items\":[{\"kind\":\"phone\",\"purpose\":\"\xff\"}]}", "", "not valid UTF-8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, err := ParsePrivacyDeclaration([]byte(tc.in))
			if tc.wantErr == "" {
				require.NoError(t, err)
				require.NoError(t, d.Validate())
				return
			}
			require.Error(t, err)
			var de *DeclarationError
			require.True(t, errors.As(err, &de), "error %T is not a *DeclarationError", err)
			require.Equal(t, tc.pointer, de.Pointer)
			require.Contains(t, err.Error(), tc.wantErr)
			require.True(t, strings.HasPrefix(err.Error(), "privacy declaration"), err.Error())
			require.NotContains(t, err.Error(), "scan.", "a user-facing message names no Go type")
			require.Empty(t, d.Items)
		})
	}
}

func TestParsedDeclarationKeepsEveryField(t *testing.T) {
	t.Parallel()
	d, err := ParsePrivacyDeclaration([]byte(`{"items":[{"kind":"phone","purpose":"登录","third_party":true,"recipients":["短信服务商"]}]}`))
	require.NoError(t, err)
	require.Equal(t, PrivacyDeclaration{Items: []PrivacyItem{{Kind: "phone", Purpose: "登录", ThirdParty: true, Recipients: []string{"短信服务商"}}}}, d)
	require.True(t, d.Declares("phone"))
	require.False(t, d.Declares("location"))
}

// TestDeclarationSchemaAgrees keeps the published JSON Schema in step with
// what ParsePrivacyDeclaration accepts: the kinds and the bounds.
func TestDeclarationSchemaAgrees(t *testing.T) {
	t.Parallel()
	var schema struct {
		AdditionalProperties bool     `json:"additionalProperties"`
		Required             []string `json:"required"`
		Properties           struct {
			Items struct {
				MaxItems int `json:"maxItems"`
				Items    struct {
					AdditionalProperties bool     `json:"additionalProperties"`
					Required             []string `json:"required"`
					Properties           struct {
						Kind struct {
							Enum []string `json:"enum"`
						} `json:"kind"`
						Purpose struct {
							MaxLength int `json:"maxLength"`
						} `json:"purpose"`
						Recipients struct {
							MaxItems int `json:"maxItems"`
							Items    struct {
								MaxLength int `json:"maxLength"`
							} `json:"items"`
						} `json:"recipients"`
					} `json:"properties"`
				} `json:"items"`
			} `json:"items"`
		} `json:"properties"`
	}
	require.NoError(t, json.Unmarshal(PrivacyDeclarationSchema, &schema))
	item := schema.Properties.Items.Items
	require.Equal(t, privacyKindNames(), item.Properties.Kind.Enum)
	require.Equal(t, maxDeclItems, schema.Properties.Items.MaxItems)
	require.Equal(t, maxPurposeRunes, item.Properties.Purpose.MaxLength)
	require.Equal(t, maxRecipients, item.Properties.Recipients.MaxItems)
	require.Equal(t, maxRecipientRunes, item.Properties.Recipients.Items.MaxLength)
	require.Equal(t, []string{"items"}, schema.Required)
	require.Equal(t, []string{"kind", "purpose"}, item.Required)
	require.False(t, schema.AdditionalProperties)
	require.False(t, item.AdditionalProperties)
}

func TestVocabularyIsTheSharedOne(t *testing.T) {
	t.Parallel()
	require.Equal(t, []string{"location", "address", "phone", "user_info", "photo", "clipboard", "contacts", "bluetooth", "wifi", "run_data", "invoice", "login_code", "device", "input"}, privacyKindNames())
}

// FuzzPrivacyDeclaration checks that whatever a developer sends, parsing
// neither panics nor accepts something Validate refuses, and a refusal is
// a *DeclarationError with a message for a person.
func FuzzPrivacyDeclaration(f *testing.F) {
	f.Add([]byte(`{"items":[{"kind":"location","purpose":"nearby stores","third_party":true,"recipients":["Maps"]}]}`))
	f.Add([]byte(`{"items":[{"kind":"phone","purpose":""},{"kind":"phone","purpose":"x"}]}`))
	f.Add([]byte(`{"items":[{"kind":7}]} []`))
	f.Add([]byte(`{"items":null}`))
	f.Add([]byte("{\"items\":[{\"kind\":\"\xff\"}]}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParsePrivacyDeclaration(data)
		if err != nil {
			var de *DeclarationError
			if !errors.As(err, &de) || de.Reason == "" {
				t.Fatalf("error %T %q is not a user-facing DeclarationError", err, err)
			}
			return
		}
		if err := d.Validate(); err != nil {
			t.Fatalf("parsed a declaration that Validate refuses: %v", err)
		}
		for _, it := range d.Items {
			if !knownPrivacyKind(it.Kind) {
				t.Fatalf("accepted unknown kind %q", it.Kind)
			}
		}
	})
}
