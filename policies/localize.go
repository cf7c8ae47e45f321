package policies

import (
	"fmt"
	"math"
	"strings"

	"golang.org/x/text/language"
)

// Languages Localize speaks, as BCP 47 tags.
const (
	langEnglish = "en"
	langChinese = "zh-Hans"
)

// PreferredLanguage picks the language to show reasons in from an
// Accept-Language header (or a single tag such as "zh-CN"): Simplified
// Chinese when the developer's most preferred language we have is Chinese
// in simplified script ("zh", "zh-CN", "zh-Hans", "zh-SG"), English
// otherwise. Traditional Chinese falls back to English rather than to the
// simplified text, which a reader of Traditional may not want.
func PreferredLanguage(acceptLanguage string) string {
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil {
		return langEnglish
	}
	for _, tag := range tags {
		base, _ := tag.Base()
		switch base.String() {
		case "en":
			return langEnglish
		case "zh":
			if script, _ := tag.Script(); script.String() == "Hans" {
				return langChinese
			}
		}
	}
	return langEnglish
}

// Localize returns the reasons with their message and remediation in the
// language lang asks for (an Accept-Language header or a tag; see
// PreferredLanguage). English is the bundle's own text and is returned as
// it is. In Chinese, codes in the catalogue get its text, filled in from
// the reason's evidence; other codes (the scan's rule IDs for critical
// findings) keep their message, and their remediation gets a Chinese
// sentence before the original advice. The input is not modified.
//
// A reviewer's reason keeps the reviewer's comment as its message and gets
// the catalogue's remediation for its code, in either language.
func Localize(reasons []Reason, lang string) []Reason {
	out := make([]Reason, len(reasons))
	copy(out, reasons)
	pref := PreferredLanguage(lang)
	for i := range out {
		if e, ok := catalogue.byCode[out[i].Code]; ok && e.Source == sourceReviewer {
			out[i].Remediation = e.text(pref).Remediation
			continue
		}
		if pref == langChinese {
			out[i] = toChinese(out[i])
		}
	}
	return out
}

func toChinese(r Reason) Reason {
	values := placeholderValues(r.Evidence, true)
	if e, ok := catalogue.byCode[r.Code]; ok {
		text := e.Zh
		// A custom bundle may emit a known code with less evidence; the
		// original text is kept for a part whose template cannot be filled.
		if m, ok := fill(text.Message, values); ok {
			r.Message = m
		}
		if rem, ok := fill(text.Remediation, values); ok {
			r.Remediation = rem
		}
		return r
	}
	unlisted := catalogue.Unlisted.Zh
	advice := r.Remediation
	if rem, ok := fill(unlisted.FindingRemediation, values); ok {
		r.Remediation = rem
	} else {
		r.Remediation = unlisted.GenericRemediation
	}
	if advice != "" {
		r.Remediation += unlisted.Advice + advice
	}
	return r
}

// placeholderValues renders evidence for templates: whole numbers without
// a decimal point, and {where} built from file and line the way the bundle
// writes it. In Chinese, platform words (kinds, severities) are translated.
func placeholderValues(evidence map[string]any, chinese bool) map[string]string {
	values := make(map[string]string, len(evidence)+1)
	for k, v := range evidence {
		s := formatValue(v)
		if t, ok := catalogue.EvidenceWords.Zh[k][s]; ok && chinese {
			s = t
		}
		values[k] = s
	}
	if where, ok := whereOf(evidence, chinese); ok {
		values[placeholderWhere] = where
	}
	return values
}

const placeholderWhere = "where"

func whereOf(evidence map[string]any, chinese bool) (string, bool) {
	if _, ok := evidence["rule_id"]; !ok {
		return "", false
	}
	file, _ := evidence["file"].(string)
	line, _ := evidence["line"].(float64)
	switch {
	case line > 0:
		return fmt.Sprintf("%s:%s", file, formatValue(line)), true
	case file != "":
		return file, true
	case chinese:
		return "代码包整体", true
	default:
		return "package level", true
	}
}

func formatValue(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1e15 {
			return fmt.Sprintf("%d", int64(v))
		}
		return fmt.Sprint(v)
	default:
		return fmt.Sprint(v)
	}
}

// fill replaces {name} with values[name]; it fails if a name has no value,
// so that no half-filled sentence reaches a developer.
func fill(template string, values map[string]string) (string, bool) {
	var b strings.Builder
	rest := template
	for {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			b.WriteString(rest)
			return b.String(), true
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			b.WriteString(rest)
			return b.String(), true
		}
		v, ok := values[rest[open+1:open+end]]
		if !ok {
			return "", false
		}
		b.WriteString(rest[:open])
		b.WriteString(v)
		rest = rest[open+end+1:]
	}
}
