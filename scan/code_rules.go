package scan

// CODE rules: what the scripts do, read from their syntax tree rather than
// grepped, so that comments and strings do not count as calls and a call
// split across lines or built from pieces still does. Dynamic code is high:
// what it runs cannot be reviewed. Payment and privacy-sensitive calls are
// evidence for the policy and the reviewer, at info or low, unless the
// platform itself would refuse the package.
var (
	ruleCodeEval = register(Rule{
		ID: "CODE-001", Severity: SeverityHigh,
		Message:     "eval runs code that is not in the package",
		Remediation: "Remove eval; parse data with JSON.parse and ship all logic in the package, where it can be reviewed.",
		Why:         "Code run through eval arrives after review and can do anything the package itself could.",
	})
	ruleCodeFunction = register(Rule{
		ID: "CODE-002", Severity: SeverityHigh,
		Message:     "Function constructor compiles code from a string",
		Remediation: "Replace new Function(...) with a function written in the package.",
		Why:         "The Function constructor is eval by another name: the code it compiles is not in the package.",
	})
	ruleCodeStringTimer = register(Rule{
		ID: "CODE-003", Severity: SeverityMedium,
		Message:     "setTimeout or setInterval is given a string to evaluate",
		Remediation: "Pass a function to the timer instead of a string of code.",
		Why:         "A string passed to a timer is evaluated as code, the same risk as eval.",
	})
	ruleCodePacked = register(Rule{
		ID: "CODE-004", Severity: SeverityHigh,
		Message:     "script is packed with a code packer",
		Remediation: "Submit the readable source; packed code hides what it does and cannot be reviewed.",
		Why:         "Packed code is unreadable by reviewers, and packers are a common way to hide malicious payloads.",
	})
	ruleCodeObfuscated = register(Rule{
		ID: "CODE-005", Severity: SeverityHigh,
		Message:     "script is obfuscated",
		Remediation: "Submit the code without obfuscation; minification is fine, renaming into hex identifiers and encoded string tables is not.",
		Why:         "Obfuscation exists to stop people reading code, which is what review must do.",
	})
	ruleCodeEntropy = register(Rule{
		ID: "CODE-006", Severity: SeverityLow,
		Message:     "very high entropy string literal (possibly encoded code or data)",
		Remediation: "If the string is encoded code, ship the code itself; if it is data, move it to a file or a server.",
		Why:         "Long random-looking strings are often encoded code or keys smuggled past review.",
	})
	ruleCodePrivateInfo = register(Rule{
		ID: "CODE-010", Severity: SeverityHigh,
		Message:     "location interface used but not declared in requiredPrivateInfos",
		Remediation: "List the interface in \"requiredPrivateInfos\" in app.json; WeChat refuses the call and the release otherwise.",
		Why:         "WeChat blocks undeclared location calls, so the feature breaks and the release is refused.",
	})
	ruleCodePrivacyCheck = register(Rule{
		ID: "CODE-011", Severity: SeverityMedium,
		Message:     "privacy interface used while app.json does not enable usePrivacyCheck",
		Remediation: "Set \"usePrivacyCheck\": true in app.json and configure the privacy policy, so users agree before the interface runs.",
		Why:         "Without the privacy check, privacy interfaces run before the user has agreed to the policy.",
	})
	ruleCodeScope = register(Rule{
		ID: "CODE-012", Severity: SeverityMedium,
		Message:     "location interface used without a scope.userLocation permission description",
		Remediation: "Add \"permission\": {\"scope.userLocation\": {\"desc\": \"...\"}} to app.json saying why the location is needed.",
		Why:         "Users see the scope description when asked for their location, and the platform requires it.",
	})
	ruleCodeSensitive = register(Rule{
		ID: "CODE-013", Severity: SeverityInfo,
		Message:     "privacy-sensitive interface used",
		Remediation: "Make sure the privacy statement covers this data and the user is asked before it is collected.",
		Why:         "Reviewers need to know which personal data the app reads to check it against the privacy statement.",
	})
	ruleCodePayment = register(Rule{
		ID: "CODE-020", Severity: SeverityInfo,
		Message:     "payment API used",
		Remediation: "No change needed; payments require a verified merchant account, which the review checks.",
		Why:         "Payments put users' money at stake, so the policy checks who may take them.",
	})
	ruleCodeHiddenAPI = register(Rule{
		ID: "CODE-030", Severity: SeverityHigh,
		Message:     "platform API reached through a name built at run time",
		Remediation: "Call the API by its name (wx.request, my.tradePay ...); assembling the name hides the call from review.",
		Why:         "A name assembled at run time hides the call from review, which honest code has no reason to do.",
	})
	ruleCodeDynamicAPI = register(Rule{
		ID: "CODE-031", Severity: SeverityLow,
		Message:     "platform API reached through a computed name",
		Remediation: "Prefer direct calls; if a wrapper must forward names, keep the list of names in the package visible.",
		Why:         "A computed name means the scan cannot tell which interface is called, so the privacy checks are incomplete.",
	})
	ruleCodeHTTP = register(Rule{
		ID: "CODE-040", Severity: SeverityMedium,
		Message:     "endpoint uses plain http or ws",
		Remediation: "Use https:// or wss://; the platforms refuse unencrypted endpoints in release builds.",
		Why:         "Unencrypted traffic can be read and changed on the network, and the platforms refuse it in release builds.",
	})
	ruleCodeIP = register(Rule{
		ID: "CODE-041", Severity: SeverityMedium,
		Message:     "endpoint is an IP address",
		Remediation: "Use a registered domain name with a certificate; IP endpoints cannot be registered and hide who runs them.",
		Why:         "IP endpoints cannot be registered with the platform and hide who runs the server.",
	})
	ruleCodeDomain = register(Rule{
		ID: "CODE-042", Severity: SeverityMedium,
		Message:     "endpoint is outside the domains registered for the app",
		Remediation: "Register the domain for the app (request, socket, upload, download or web-view domain list) or use a registered one.",
		Why:         "The platform refuses requests to unregistered domains, so the feature breaks or talks to a server nobody reviewed.",
	})
	ruleCodeUnparsed = register(Rule{
		ID: "CODE-090", Severity: SeverityLow,
		Message:     "script could not be parsed; CODE rules did not run on it",
		Remediation: "Check the file compiles with the platform's developer tools; syntax the parser rejects may also fail on devices.",
		Why:         "The CODE rules did not see this script, so what it calls is unknown to the review.",
	})
)
