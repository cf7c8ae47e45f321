package scan

import "strings"

// SARIF 2.1.0 is what code hosts and CI systems read to show findings next
// to the code. Only the parts a consumer needs are written: the rule
// catalogue in tool.driver.rules, and one result per finding pointing at
// its file, line and column.

// SARIFLog is a SARIF 2.1.0 log with one run.
type SARIFLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	Help                 sarifText      `json:"help"`
	DefaultConfiguration sarifRuleLevel `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties,omitempty"`
}

type sarifRuleLevel struct {
	Level string `json:"level"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations,omitempty"`
	PartialFingerprints map[string]string `json:"partialFingerprints,omitempty"`
	Properties          map[string]any    `json:"properties,omitempty"`
	CodeFlows           []sarifCodeFlow   `json:"codeFlows,omitempty"`
}

// A PRIV result carries its personal-data flow as one code flow: the
// source, each step, then the sink.
type sarifCodeFlow struct {
	ThreadFlows []sarifThreadFlow `json:"threadFlows"`
}

type sarifThreadFlow struct {
	Locations []sarifFlowLocation `json:"locations"`
}

type sarifFlowLocation struct {
	Location sarifFlowPlace `json:"location"`
}

type sarifFlowPlace struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
	Message          *sarifText    `json:"message,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int        `json:"startLine"`
	StartColumn int        `json:"startColumn,omitempty"`
	Snippet     *sarifText `json:"snippet,omitempty"`
}

// sarifLevel maps severities onto SARIF's three levels; info becomes
// "note" like low, and the exact severity travels in properties.
func sarifLevel(s Severity) string {
	switch s {
	case SeverityCritical, SeverityHigh:
		return "error"
	case SeverityMedium:
		return "warning"
	}
	return "note"
}

// SARIF converts a report into a SARIF 2.1.0 log.
func (r Report) SARIF() SARIFLog {
	rules := Rules()
	index := make(map[string]int, len(rules))
	driver := sarifDriver{Name: "trustgate", Rules: make([]sarifRule, 0, len(rules))}
	for i, rule := range rules {
		index[rule.ID] = i
		driver.Rules = append(driver.Rules, sarifRule{
			ID:                   rule.ID,
			ShortDescription:     sarifText{Text: rule.Message},
			FullDescription:      sarifText{Text: rule.Why},
			Help:                 sarifText{Text: rule.Remediation},
			DefaultConfiguration: sarifRuleLevel{Level: sarifLevel(rule.Severity)},
			Properties:           map[string]any{"severity": string(rule.Severity)},
		})
	}
	results := make([]sarifResult, 0, len(r.Findings))
	for _, f := range r.Findings {
		res := sarifResult{
			RuleID: f.RuleID, RuleIndex: index[f.RuleID], Level: sarifLevel(f.Severity),
			Message:             sarifText{Text: f.Message},
			PartialFingerprints: map[string]string{"trustgate/v1": f.Fingerprint},
			Properties:          map[string]any{"severity": string(f.Severity), "remediation": f.Remediation},
		}
		if f.File != "" {
			loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: sarifURI(f.File)}}}
			if f.Line > 0 {
				region := &sarifRegion{StartLine: f.Line, StartColumn: f.Column}
				if f.Snippet != "" {
					region.Snippet = &sarifText{Text: f.Snippet}
				}
				loc.PhysicalLocation.Region = region
			}
			res.Locations = []sarifLocation{loc}
		}
		if f.Flow != nil {
			res.CodeFlows = []sarifCodeFlow{sarifFlow(*f.Flow)}
		}
		results = append(results, res)
	}
	return SARIFLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{{Tool: sarifTool{Driver: driver}, Results: results}},
	}
}

// sarifURI makes a package path a relative URI reference: forward slashes,
// and spaces and percent signs escaped.
func sarifURI(p string) string {
	return strings.NewReplacer(`\`, "/", "%", "%25", " ", "%20").Replace(p)
}

func sarifFlow(f Flow) sarifCodeFlow {
	place := func(file string, line int, msg string) sarifFlowLocation {
		p := sarifFlowPlace{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: sarifURI(file)}}}
		if line > 0 {
			p.PhysicalLocation.Region = &sarifRegion{StartLine: line}
		}
		if msg != "" {
			p.Message = &sarifText{Text: msg}
		}
		return sarifFlowLocation{Location: p}
	}
	locs := []sarifFlowLocation{place(f.Source.File, f.Source.Line, f.Source.API+" ("+f.Source.Kind+")")}
	for _, st := range f.Steps {
		locs = append(locs, place(st.File, st.Line, ""))
	}
	sink := f.Sink.API
	if f.Sink.Endpoint != "" {
		sink += " " + f.Sink.Endpoint
	}
	locs = append(locs, place(f.Sink.File, f.Sink.Line, sink))
	return sarifCodeFlow{ThreadFlows: []sarifThreadFlow{{Locations: locs}}}
}
