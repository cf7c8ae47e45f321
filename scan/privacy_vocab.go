package scan

import (
	_ "embed"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
)

// The flow analysis's vocabulary is data: which platform interfaces yield
// which kind of personal data, and which hand it over. Compliance edits
// privacy_sources.json; the analysis only reads it.
//
//go:embed privacy_sources.json
var privacySourcesJSON []byte

type sinkDef struct {
	Data    []string `json:"data"`    // properties of the first argument, or "$N" for argument N
	URL     string   `json:"url"`     // property holding the URL, "" if none
	Storage bool     `json:"storage"` // writes storage instead of leaving the device
	// Clipboard: hands the data to the phone's clipboard, where other apps
	// can read it, but does not send it anywhere.
	Clipboard bool `json:"clipboard"`
}

var privacyVocab = func() (v struct {
	Kinds        []string           `json:"kinds"`
	Sources      map[string]string  `json:"sources"`
	Sinks        map[string]sinkDef `json:"sinks"`
	StorageReads []string           `json:"storage_reads"`
	storageRead  map[string]bool
}) {
	if err := json.Unmarshal(privacySourcesJSON, &v); err != nil {
		panic("scan: privacy_sources.json: " + err.Error())
	}
	kinds := map[string]bool{}
	for _, k := range v.Kinds {
		kinds[k] = true
	}
	for api, k := range v.Sources {
		if !kinds[k] {
			panic("scan: privacy_sources.json: " + api + " has unknown kind " + k)
		}
	}
	v.storageRead = map[string]bool{}
	for _, n := range v.StorageReads {
		v.storageRead[n] = true
	}
	return v
}()

// flowKinds returns the data kinds of the flow vocabulary, in the order it
// lists them; a test holds them equal to the lexicon's (PrivacyKinds).
func flowKinds() []string { return append([]string(nil), privacyVocab.Kinds...) }

// OffDevice reports whether a sink hands the data to someone else (a
// server, another mini-program, the clipboard, a web page) rather than
// keeping it in the app's own storage.
func (s FlowSink) OffDevice() bool {
	_, name, _ := strings.Cut(s.API, ".")
	return !privacyVocab.Sinks[name].Storage
}

// LeavesDevice reports whether the flow sends the data off the phone: to a
// server (any sink with a known endpoint), another mini-program or a web
// page. Storage and the clipboard keep it on the device. This is what the
// privacy declaration has to cover.
func (f Flow) LeavesDevice() bool {
	if f.Sink.Endpoint != "" || strings.Contains(strings.ToLower(f.Sink.API), "web-view") {
		return true
	}
	_, name, _ := strings.Cut(f.Sink.API, ".")
	sink, known := privacyVocab.Sinks[name]
	return known && !sink.Storage && !sink.Clipboard
}

// sinkArg returns which argument of a sink call holds key ("$1": the
// second), or -1 for a property of the first argument.
func sinkArg(key string) int {
	if !strings.HasPrefix(key, "$") {
		return -1
	}
	n, err := strconv.Atoi(key[1:])
	if err != nil {
		return -1
	}
	return n
}

// handlerRE finds the handlers a template binds to the buttons that hand
// over a phone number or an avatar, in a .wxml or in the compiled template
// code that carries the markup as escaped strings.
var handlerRE = regexp.MustCompile(`(?i)(?:bind|catch):?(getphonenumber|getrealtimephonenumber|chooseavatar)\s*=\s*\\?["']\s*([A-Za-z_$][\w$]*)`)

// templateHandlerKinds reads the handlers' kinds from a template's text.
func templateHandlerKinds(data []byte, into map[string]string) {
	if !strings.Contains(strings.ToLower(string(data)), "getphonenumber") && !strings.Contains(strings.ToLower(string(data)), "chooseavatar") {
		return
	}
	for _, m := range handlerRE.FindAllSubmatch(data, 1000) {
		kind := "phone"
		if strings.EqualFold(string(m[1]), "chooseavatar") {
			kind = "photo"
		}
		into[string(m[2])] = kind
	}
}
