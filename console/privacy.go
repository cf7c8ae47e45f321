package console

import (
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"

	"trustgate/scan"
)

// privacyParts reads the upload form's optional privacy declaration and
// privacy policy files, bounded, as the API's parts of the same names. The
// API checks the declaration and answers a bad one with its problem.
func privacyParts(form *multipart.Form) ([][2]string, error) {
	var out [][2]string
	for _, p := range []struct {
		name  string
		limit int64
	}{{"privacy", scan.MaxPrivacyDeclarationBytes}, {"privacy_policy", scan.MaxPrivacyPolicyBytes}} {
		files := form.File[p.name]
		if len(files) == 0 || files[0].Size == 0 {
			continue
		}
		if files[0].Size > p.limit {
			return nil, fmt.Errorf("%s: at most %d bytes", p.name, p.limit)
		}
		f, err := files[0].Open()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p.name, err)
		}
		b, err := io.ReadAll(io.LimitReader(f, p.limit))
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p.name, err)
		}
		out = append(out, [2]string{p.name, string(b)})
	}
	return out, nil
}

// flowView is one personal-data flow as the submission page shows it: a
// path from where the code collects the data, through the places that
// carry it, to where it leaves, each place a link into the file browser.
type flowView struct {
	Kind      string
	SourceAPI string
	Source    place
	Steps     []place
	SinkAPI   string
	Sink      place
	Endpoint  string
	// Unregistered is set when the data leaves the device for a host the
	// app did not register (or one the scan cannot name).
	Unregistered bool
}

// place is a file and line of the package.
type place struct {
	File string `json:"file"`
	Line int    `json:"line"`
}

// flowJSON is a flow as the scan writes it, in a finding's evidence and in
// the decision's input alike.
type flowJSON struct {
	Source struct {
		API  string `json:"api"`
		Kind string `json:"kind"`
		place
	} `json:"source"`
	Sink struct {
		API      string `json:"api"`
		Endpoint string `json:"endpoint"`
		place
	} `json:"sink"`
	Steps      []place `json:"steps"`
	OffDevice  *bool   `json:"off_device"`
	Registered *bool   `json:"registered"`
}

// submissionFlows gathers the flows to show: those the submission keeps
// from its scan (with their steps and whether their recipient is
// registered), then the flow of any finding that carries one and is not
// among them (a submission scanned before flows were kept), each once.
func submissionFlows(stored json.RawMessage, findings []finding) []flowView {
	var out []flowView
	seen := map[string]bool{}
	add := func(f flowJSON) {
		key := fmt.Sprintf("%s|%s:%d|%s|%s:%d|%s", f.Source.API, f.Source.File, f.Source.Line, f.Sink.API, f.Sink.File, f.Sink.Line, f.Sink.Endpoint)
		if f.Source.API == "" || seen[key] {
			return
		}
		seen[key] = true
		out = append(out, flowView{Kind: f.Source.Kind, SourceAPI: f.Source.API, Source: f.Source.place, Steps: f.Steps,
			SinkAPI: f.Sink.API, Sink: f.Sink.place, Endpoint: f.Sink.Endpoint,
			Unregistered: f.OffDevice != nil && *f.OffDevice && f.Registered != nil && !*f.Registered})
	}
	var flows []flowJSON
	if json.Unmarshal(stored, &flows) == nil {
		for _, f := range flows {
			add(f)
		}
	}
	for _, f := range findings {
		if len(f.Evidence) == 0 {
			continue
		}
		var ev struct {
			Flow *flowJSON `json:"flow"`
		}
		if json.Unmarshal(f.Evidence, &ev) == nil && ev.Flow != nil {
			add(*ev.Flow)
		}
	}
	return out
}
