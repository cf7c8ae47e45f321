package scan

// MinHashSize is the number of values in a code fingerprint's MinHash
// signature, and LSHBands × LSHRows must equal it: the store indexes the
// signature in LSHBands bands of LSHRows values each, so that two packages
// whose code is similar share at least one band with high probability
// (0.9991 at similarity 0.8, 0.87 at 0.67) without comparing every pair.
const (
	MinHashSize = 128
	LSHBands    = 32
	LSHRows     = 4
)

// CodeFingerprint summarises a package's own code for finding copies of it
// under another account. Vendored libraries are left out before it is
// computed. MinHash is nil when the package has too little own code to
// compare (Shingles below a floor).
type CodeFingerprint struct {
	MinHash  []uint32          `json:"minhash,omitempty"`
	Shingles int               `json:"shingles"`
	Files    []FileFingerprint `json:"files,omitempty"`
}

// FileFingerprint is one own module's signature, for showing a reviewer the
// pairs of most similar files of two linked packages.
type FileFingerprint struct {
	File    string   `json:"file"`
	MinHash []uint32 `json:"minhash"`
	// Common is set when many developers ship this module
	// (Options.CommonModules): it is left out of the package's MinHash.
	Common bool `json:"common,omitempty"`
}

// Indicator is something a package shares with others that points at the
// same operator: an endpoint host, a web-view domain, a merchant or app ID
// found in code, the SHA-256 of a secret (never the secret), or the SHA-256
// of an asset (image, template). Kind is one of the Indicator* constants.
type Indicator struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
	File  string `json:"file,omitempty"`
	Line  int    `json:"line,omitempty"`
}

// Indicator kinds.
const (
	IndicatorHost       = "host"
	IndicatorWebView    = "webview_domain"
	IndicatorSecretHash = "secret_sha256"
	IndicatorMerchantID = "merchant_id"
	IndicatorAppID      = "app_id"
	IndicatorAssetHash  = "asset_sha256"
)
