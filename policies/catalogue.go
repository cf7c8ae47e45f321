package policies

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
)

// catalogue.json is the one list of reason codes: for each code, who gives
// it (the bundle, the engine or a reviewer), when, what evidence it carries,
// and its message and remediation in each language the console speaks.
// Placeholders in braces name evidence keys, so one template serves every
// threshold and category; {where} is the finding's file and line.
//
// A bundle code's English is the bundle's own text, word for word, and its
// example is an input (over an approved one) on which the default bundle
// gives it: TestCatalogueMatchesBundleText decides on the example and holds
// the two texts together, so a console in English shows what the decision
// log shows. docs/reason-codes.md is generated from this file.
//
//go:embed catalogue.json
var catalogueJSON []byte

// Who gives a code.
const (
	sourceBundle   = "bundle"
	sourceEngine   = "engine"
	sourceReviewer = "reviewer"
)

type catalogueText struct {
	Message     string `json:"message"`
	Remediation string `json:"remediation"`
}

// catalogueCode is one entry of catalogue.json.
type catalogueCode struct {
	Code   string `json:"code"`
	Source string `json:"source"`
	// Outcome, When and Evidence describe a bundle or engine code for the
	// docs: the outcome it leads to, the condition, the evidence keys.
	Outcome  string   `json:"outcome,omitempty"`
	When     string   `json:"when,omitempty"`
	Evidence []string `json:"evidence,omitempty"`
	// Note is a remark for authors and translators, shown in the docs.
	Note string `json:"note,omitempty"`
	// Example is a bundle code's input, merged over an input the default
	// bundle approves, on which the bundle gives the code.
	Example json.RawMessage `json:"example,omitempty"`
	En      catalogueText   `json:"en"`
	Zh      catalogueText   `json:"zh"`
}

func (c *catalogueCode) text(lang string) catalogueText {
	if lang == langChinese {
		return c.Zh
	}
	return c.En
}

// catalogueFile is catalogue.json.
type catalogueFile struct {
	Codes []catalogueCode `json:"codes"`
	// Unlisted is the text for codes the catalogue does not know: the
	// scan's rule IDs, which reject a submission for a critical finding,
	// and codes a custom bundle adds. Their message is their own and stays;
	// in Chinese the remediation says what to do (FindingRemediation for a
	// finding, GenericRemediation otherwise) and keeps the original advice
	// after Advice.
	Unlisted struct {
		Zh struct {
			FindingRemediation string `json:"finding_remediation"`
			GenericRemediation string `json:"generic_remediation"`
			Advice             string `json:"advice"`
		} `json:"zh"`
	} `json:"unlisted"`
	// EvidenceWords translates, by evidence key, the values that are words
	// of the platform's own vocabulary (developer kinds, severities);
	// everything else (categories, file names) is shown as it is.
	EvidenceWords struct {
		Zh map[string]map[string]string `json:"zh"`
	} `json:"evidence_words"`
}

// reasonCatalogue is catalogue.json, read once.
type reasonCatalogue struct {
	catalogueFile
	byCode map[string]*catalogueCode
}

var catalogue = mustReadCatalogue(catalogueJSON)

func mustReadCatalogue(b []byte) *reasonCatalogue {
	c, err := readCatalogue(b)
	if err != nil {
		panic(fmt.Sprintf("policies/catalogue.json: %v", err))
	}
	return c
}

var codePattern = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

// readCatalogue reads and checks the catalogue: a code given twice, a
// source misspelt or a text left empty is an error, not a gap a developer
// finds in the console.
func readCatalogue(b []byte) (*reasonCatalogue, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var c reasonCatalogue
	if err := dec.Decode(&c.catalogueFile); err != nil {
		return nil, err
	}
	c.byCode = make(map[string]*catalogueCode, len(c.Codes))
	var errs []error
	for i := range c.Codes {
		e := &c.Codes[i]
		if !codePattern.MatchString(e.Code) {
			errs = append(errs, fmt.Errorf("code %q is not upper-case letters, digits and underscores", e.Code))
		}
		if _, dup := c.byCode[e.Code]; dup {
			errs = append(errs, fmt.Errorf("%s is listed twice", e.Code))
		}
		c.byCode[e.Code] = e
		switch e.Source {
		case sourceBundle:
			if len(e.Example) == 0 {
				errs = append(errs, fmt.Errorf("%s: a bundle code needs an example input", e.Code))
			}
			fallthrough
		case sourceEngine:
			if e.Outcome == "" || e.When == "" || len(e.Evidence) == 0 {
				errs = append(errs, fmt.Errorf("%s: a %s code needs outcome, when and evidence", e.Code, e.Source))
			}
		case sourceReviewer:
		default:
			errs = append(errs, fmt.Errorf("%s: source %q is not one of bundle, engine, reviewer", e.Code, e.Source))
		}
		for lang, t := range map[string]catalogueText{"en": e.En, "zh": e.Zh} {
			if t.Message == "" || t.Remediation == "" {
				errs = append(errs, fmt.Errorf("%s: the %s message or remediation is empty", e.Code, lang))
			}
		}
	}
	if e, ok := c.byCode[CodePolicyError]; !ok || e.Source != sourceEngine {
		errs = append(errs, fmt.Errorf("%s must be listed, as an engine code", CodePolicyError))
	}
	zh := c.Unlisted.Zh
	if zh.FindingRemediation == "" || zh.GenericRemediation == "" || zh.Advice == "" {
		errs = append(errs, errors.New("unlisted.zh needs finding_remediation, generic_remediation and advice"))
	}
	return &c, errors.Join(errs...)
}

// CatalogueEntry is one reason code as people read it.
type CatalogueEntry struct {
	Code        string `json:"code"`
	Message     string `json:"message"`
	Remediation string `json:"remediation"`
	// Reviewer marks the codes a reviewer may give; the others come from
	// the policy itself.
	Reviewer bool `json:"reviewer"`
}

// Catalogue lists every reason code with its text in the language an
// Accept-Language header (or tag) prefers, sorted by code.
func Catalogue(acceptLanguage string) []CatalogueEntry {
	lang := PreferredLanguage(acceptLanguage)
	out := make([]CatalogueEntry, 0, len(catalogue.Codes))
	for i := range catalogue.Codes {
		e := &catalogue.Codes[i]
		t := e.text(lang)
		out = append(out, CatalogueEntry{Code: e.Code, Message: t.Message, Remediation: t.Remediation, Reviewer: e.Source == sourceReviewer})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// ReviewerMayGive reports whether a reviewer may reject with this code:
// one of the reviewer codes, or a policy code (a reviewer may confirm what
// the policy suspected), but not one the engine gives for its own failure.
func ReviewerMayGive(code string) bool {
	e, ok := catalogue.byCode[code]
	return ok && e.Source != sourceEngine
}
