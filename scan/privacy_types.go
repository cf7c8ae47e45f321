package scan

// Flow is one path by which personal data leaves the device: from where the
// code obtains it (Source) to where it hands it over (Sink), through the
// places that carry it in between (Steps). File and line are always the
// module's own, in source and built packages alike.
type Flow struct {
	Source FlowSource `json:"source"`
	Sink   FlowSink   `json:"sink"`
	Steps  []FlowStep `json:"steps"`
}

// FlowSource is where personal data enters the code. API is written as the
// code calls it ("wx.getLocation", "my.getPhoneNumber"); for user input it is
// the handler's name ("formSubmit") and Kind is "input". Kind is a data kind
// from the privacy vocabulary (privacy_kinds.json).
type FlowSource struct {
	API  string `json:"api"`
	Kind string `json:"kind"`
	File string `json:"file"`
	Line int    `json:"line"`
}

// FlowSink is where the data leaves the device. Endpoint is the host a
// network sink talks to when it is constant or built from a constant base
// URL, "" when it cannot be known; Scheme is "http" or "https" when known.
type FlowSink struct {
	API      string `json:"api"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	Endpoint string `json:"endpoint,omitempty"`
	Scheme   string `json:"scheme,omitempty"`
}

// FlowStep is one place on the way from source to sink.
type FlowStep struct {
	File string `json:"file"`
	Line int    `json:"line"`
}

// PrivacyDeclaration is what the developer declares about personal data, in
// the structured form the platforms ask for: for each data kind, why it is
// collected and whether it is shared with third parties. docs/privacy.md
// gives the JSON schema.
type PrivacyDeclaration struct {
	Items []PrivacyItem `json:"items"`
}

// PrivacyItem declares one data kind.
type PrivacyItem struct {
	Kind       string   `json:"kind"`
	Purpose    string   `json:"purpose"`
	ThirdParty bool     `json:"third_party"`
	Recipients []string `json:"recipients,omitempty"`
}
