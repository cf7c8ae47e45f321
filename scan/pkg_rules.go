package scan

// PKG rules: the archive itself and the package as the platform sees it.
// Everything that makes an archive unsafe to unpack is critical, so the
// submission is rejected with that reason instead of being unpacked anywhere.
var (
	rulePkgCorrupt = register(Rule{
		ID: "PKG-001", Severity: SeverityCritical,
		Message:     "archive or entry is corrupt or unreadable",
		Remediation: "Rebuild the zip with a standard tool (deflate or store compression) and upload it again.",
		Why:         "A reviewer and the platform must see the same bytes, and an archive that tools read differently can hide files from one of them.",
	})
	rulePkgTraversal = register(Rule{
		ID: "PKG-002", Severity: SeverityCritical,
		Message:     "entry path climbs out of the package with '..'",
		Remediation: "Zip the project folder itself; entry names must stay inside the package.",
		Why:         "An entry that climbs out with '..' overwrites files outside the folder it is unpacked into (zip slip).",
	})
	rulePkgAbsolute = register(Rule{
		ID: "PKG-003", Severity: SeverityCritical,
		Message:     "entry path is absolute",
		Remediation: "Zip the project folder with relative paths; names must not start with '/', '\\' or a drive letter.",
		Why:         "An absolute entry path writes wherever it names when unpacked, outside the package.",
	})
	rulePkgLink = register(Rule{
		ID: "PKG-004", Severity: SeverityCritical,
		Message:     "entry is a symbolic link or special file",
		Remediation: "Replace links with the files they point to; a package contains regular files only.",
		Why:         "A link unpacked on a server points at files outside the package, which later reads or writes would follow.",
	})
	rulePkgDuplicate = register(Rule{
		ID: "PKG-005", Severity: SeverityCritical,
		Message:     "entry name duplicates another entry (exactly, after path cleaning or ignoring case)",
		Remediation: "Keep one file per path; names that differ only in case collide on many file systems.",
		Why:         "When two entries land on one path, which one survives depends on the tool, so the reviewed file may not be the one that runs.",
	})
	rulePkgTooManyEntries = register(Rule{
		ID: "PKG-006", Severity: SeverityCritical,
		Message:     "archive has too many entries",
		Remediation: "Remove unused files; a mini-program needs far fewer files than this limit.",
		Why:         "Listing entries costs memory and time per entry, so a flood of them is a denial of service on the scanner.",
	})
	rulePkgTooLarge = register(Rule{
		ID: "PKG-007", Severity: SeverityCritical,
		Message:     "unpacked size exceeds the limit",
		Remediation: "Remove large assets from the package and load them from a CDN at run time.",
		Why:         "Bytes past the limit would not be read, so the package could not be reviewed whole; a zip bomb also starts here.",
	})
	rulePkgRatio = register(Rule{
		ID: "PKG-008", Severity: SeverityCritical,
		Message:     "entry compression ratio is suspiciously high (zip bomb)",
		Remediation: "Remove the entry; real assets and code do not compress this well.",
		Why:         "A ratio no real file reaches is how zip bombs exhaust the memory and disk of whoever unpacks them.",
	})
	rulePkgEncrypted = register(Rule{
		ID: "PKG-009", Severity: SeverityCritical,
		Message:     "entry is encrypted",
		Remediation: "Upload the package without a zip password; encrypted entries cannot be reviewed.",
		Why:         "Encrypted entries cannot be read, so their content would pass without review.",
	})
	rulePkgNested = register(Rule{
		ID: "PKG-010", Severity: SeverityCritical,
		Message:     "package contains a nested archive",
		Remediation: "Unpack the archive into the project or remove it; nested archives cannot be reviewed.",
		Why:         "A nested archive is content the platform never runs and the scan never reads, a way to ship unreviewed files.",
	})
	rulePkgNative = register(Rule{
		ID: "PKG-011", Severity: SeverityCritical,
		Message:     "package contains a native binary or executable",
		Remediation: "Remove the binary; mini-programs may only ship code the platform runs itself.",
		Why:         "The platforms run only their own script engine, so a native binary is either dead weight or a payload for another system.",
	})
	rulePkgMainSize = register(Rule{
		ID: "PKG-012", Severity: SeverityCritical,
		Message:     "main package exceeds the platform's size limit",
		Remediation: "Move pages into sub-packages and large assets to a CDN; the platform will not accept this package.",
		Why:         "The platform refuses a main package over its size limit, so the release would fail after review anyway.",
	})
	rulePkgSubSize = register(Rule{
		ID: "PKG-013", Severity: SeverityCritical,
		Message:     "sub-package exceeds the platform's size limit",
		Remediation: "Split the sub-package or move its large assets to a CDN; the platform will not accept this package.",
		Why:         "The platform refuses a sub-package over its size limit, so the release would fail after review anyway.",
	})
	rulePkgTotalSize = register(Rule{
		ID: "PKG-014", Severity: SeverityCritical,
		Message:     "package exceeds the platform's total size limit",
		Remediation: "Remove unused code and assets or move assets to a CDN; the platform will not accept this package.",
		Why:         "The platform refuses a package over its total size limit, so the release would fail after review anyway.",
	})
	rulePkgPlatform = register(Rule{
		ID: "PKG-015", Severity: SeverityCritical,
		Message:     "platform is unknown or contradicts the package layout",
		Remediation: "Submit WeChat packages (project.config.json, .wxml) as wechat and Alipay packages (mini.project.json, .axml) as alipay.",
		Why:         "The rules differ per platform, and checking a package as the wrong one misses what that platform enforces.",
	})
)
