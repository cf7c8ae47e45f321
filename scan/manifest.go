package scan

import (
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
)

// MAN rules: app.json, the manifest both platforms read first. A page or
// sub-package that is declared but missing makes the app fail at start-up
// or on navigation, so those are critical.
var (
	ruleManMissing = register(Rule{
		ID: "MAN-001", Severity: SeverityCritical,
		Message:     "app.json is missing",
		Remediation: "Put app.json at the root of the mini-program (or of miniprogramRoot) and declare the pages in it.",
		Why:         "Without app.json the platform cannot start the mini-program, and no page or privacy rule can be checked.",
	})
	ruleManInvalid = register(Rule{
		ID: "MAN-002", Severity: SeverityCritical,
		Message:     "app.json is not valid JSON or a field has the wrong type",
		Remediation: "Fix app.json at the reported line and column; comments and trailing commas are not allowed.",
		Why:         "The platform rejects an app.json it cannot read, and the checks that depend on it cannot run.",
	})
	ruleManPageMissing = register(Rule{
		ID: "MAN-003", Severity: SeverityCritical,
		Message:     "a page declared in app.json is missing a file",
		Remediation: "Add the page's script and template, or remove the page from \"pages\" in app.json.",
		Why:         "The app crashes when a user opens a declared page whose files are missing.",
	})
	ruleManSubPageMissing = register(Rule{
		ID: "MAN-004", Severity: SeverityCritical,
		Message:     "a sub-package page declared in app.json is missing a file",
		Remediation: "Add the page under the sub-package root, or remove it from the sub-package's \"pages\".",
		Why:         "Opening a sub-package page whose files are missing fails for users at run time.",
	})
	ruleManTabIconMissing = register(Rule{
		ID: "MAN-005", Severity: SeverityMedium,
		Message:     "a tab-bar icon declared in app.json is missing",
		Remediation: "Add the icon file at the declared path (relative to the mini-program root) or fix the path.",
		Why:         "A missing tab-bar icon shows a broken tab bar on every page.",
	})
	ruleManPermissionDesc = register(Rule{
		ID: "MAN-006", Severity: SeverityMedium,
		Message:     "a permission scope is declared without a description",
		Remediation: "Give the scope a \"desc\" telling users why the app needs it; the platform shows it when asking.",
		Why:         "Users decide whether to grant a permission from its description, and the platforms refuse scopes without one.",
	})
	ruleManNoPages = register(Rule{
		ID: "MAN-007", Severity: SeverityCritical,
		Message:     "app.json declares no pages",
		Remediation: "List at least the home page in \"pages\"; the first entry is where the app starts.",
		Why:         "An app without pages has nowhere to start and is refused by the platform.",
	})
	ruleManProjectConfig = register(Rule{
		ID: "MAN-008", Severity: SeverityMedium,
		Message:     "project configuration file is invalid",
		Remediation: "Fix project.config.json or mini.project.json; the code root could not be read from it.",
		Why:         "The code root comes from the project file, so a broken one may hide which files the platform actually builds.",
	})
)

// appJSON is the part of app.json the rules read. WeChat accepts both
// "subpackages" and "subPackages"; Alipay names tab items and icons
// differently. Exact-case tags keep the two spellings apart.
type appJSON struct {
	Pages       []string                   `json:"pages"`
	Subpackages []subPackage               `json:"subpackages"`
	SubPackages []subPackage               `json:"subPackages"`
	TabBar      *tabBar                    `json:"tabBar"`
	Permission  map[string]permissionScope `json:"permission"`
	// Privacy declarations are kept raw: a wrong type there is a finding
	// of its own, not a manifest the platform cannot read at all.
	RequiredPrivateInfos json.RawMessage `json:"requiredPrivateInfos"`
	UsePrivacyCheck      json.RawMessage `json:"usePrivacyCheck"`
}

type subPackage struct {
	Root  string   `json:"root"`
	Pages []string `json:"pages"`
}

type tabBar struct {
	List  []map[string]any `json:"list"`  // WeChat: iconPath, selectedIconPath
	Items []map[string]any `json:"items"` // Alipay: icon, activeIcon
}

type permissionScope struct {
	Desc string `json:"desc"`
}

// manifest is a parsed app.json with what is needed to point into it.
type manifest struct {
	entry *entry
	text  *text
	idx   *jsonIndex
	app   appJSON
}

// declaredSubPackage remembers under which key a sub-package was declared,
// to point at it.
type declaredSubPackage struct {
	ptr string
	pkg subPackage
}

func (m *manifest) subPackages() []declaredSubPackage {
	var out []declaredSubPackage
	for _, list := range []struct {
		key  string
		pkgs []subPackage
	}{{"subpackages", m.app.Subpackages}, {"subPackages", m.app.SubPackages}} {
		for i, p := range list.pkgs {
			out = append(out, declaredSubPackage{ptr: "/" + list.key + "/" + strconv.Itoa(i), pkg: p})
		}
	}
	return out
}

// maxManifestBytes bounds the JSON parsed and indexed. Real manifests are a
// few kilobytes; one this large is an attack on the scanner.
const maxManifestBytes = 1 * mb

// loadManifest parses app.json; the checks that need it are skipped when it
// is missing, unread (already refused) or invalid.
func (s *state) loadManifest() {
	name := s.root + appManifest
	e := s.arch.byPath[name]
	if built := s.arch.byPath[s.root+builtManifest]; e == nil && built != nil {
		// A built package: the tools compile app.json into app-config.json,
		// which keeps the keys the rules read (pages, subPackages,
		// permission, requiredPrivateInfos, tabBar).
		e, s.built = built, true
	}
	if e == nil {
		s.add(ruleManMissing, hit{file: name})
		return
	}
	if !e.read {
		return
	}
	if len(e.data) > maxManifestBytes {
		s.add(ruleManInvalid, hit{
			file: e.name, match: "size",
			detail: fmt.Sprintf("%d bytes; a manifest over %d bytes is not parsed", len(e.data), maxManifestBytes),
		})
		return
	}
	raw := withoutBOM(e.data)
	var app appJSON
	if err := json.Unmarshal(raw, &app); err != nil {
		s.add(ruleManInvalid, errorHit(e, raw, err))
		return
	}
	s.app = &manifest{entry: e, text: newText(raw), idx: indexJSON(raw), app: app}
}

// checkManifest checks what app.json declares against the files present.
func checkManifest(s *state) {
	m := s.app
	if m == nil {
		return
	}
	if len(m.app.Pages) == 0 {
		s.addAt(ruleManNoPages, "/pages", "", "")
	}
	for i, page := range m.app.Pages {
		s.checkPage(ruleManPageMissing, "/pages/"+strconv.Itoa(i), s.root, page)
	}
	for _, sp := range m.subPackages() {
		root := cleanRel(sp.pkg.Root)
		if root == "" {
			s.addAt(ruleManSubPageMissing, sp.ptr, "", "sub-package has no root")
			continue
		}
		for i, page := range sp.pkg.Pages {
			s.checkPage(ruleManSubPageMissing, sp.ptr+"/pages/"+strconv.Itoa(i), s.root+root+"/", page)
		}
	}
	checkTabBar(s)
	checkPermissions(s)
}

// checkPage reports each file a declared page lacks. A page needs its script
// (.js, or .ts in TypeScript projects) and its template; without a known
// platform the template extension is unknown and PKG-015 already applies.
// In a built package the script is the module split from its bundle and
// the template may be compiled (builtTemplate).
func (s *state) checkPage(r Rule, ptr, dir, page string) {
	if strings.Contains(page, "://") {
		return // plugin pages live in the plugin, not in the package
	}
	rel := cleanRel(page)
	if rel == "" {
		s.addAt(r, ptr, "", "empty page path")
		return
	}
	base := dir + rel
	if !s.exists(base+".js") && !s.exists(base+".ts") {
		s.addMissing(r, ptr, base+".js", page)
	}
	if tmpl := templateExt(s.platform); tmpl != "" && !s.exists(base+tmpl) && !(s.built && s.builtTemplate(base)) {
		s.addMissing(r, ptr, base+tmpl, page)
	}
}

func templateExt(p Platform) string {
	switch p {
	case PlatformWeChat:
		return ".wxml"
	case PlatformAlipay:
		return ".axml"
	}
	return ""
}

var tabIconKeys = map[string][]string{
	"list":  {"iconPath", "selectedIconPath"},
	"items": {"icon", "activeIcon"},
}

func checkTabBar(s *state) {
	tb := s.app.app.TabBar
	if tb == nil {
		return
	}
	for _, list := range []struct {
		key   string
		items []map[string]any
	}{{"list", tb.List}, {"items", tb.Items}} {
		for i, item := range list.items {
			for _, key := range tabIconKeys[list.key] {
				icon, _ := item[key].(string)
				if icon == "" || strings.Contains(icon, "://") {
					continue
				}
				ptr := fmt.Sprintf("/tabBar/%s/%d/%s", list.key, i, key)
				rel := cleanRel(icon)
				if rel == "" || !s.exists(s.root+rel) {
					s.addMissing(ruleManTabIconMissing, ptr, s.root+rel, icon)
				}
			}
		}
	}
}

func checkPermissions(s *state) {
	for _, scope := range sortedKeys(s.app.app.Permission) {
		if strings.TrimSpace(s.app.app.Permission[scope].Desc) == "" {
			s.addAt(ruleManPermissionDesc, "/permission/"+escapePointer(scope), scope, "scope "+scope)
		}
	}
}

// addAt reports a finding in app.json at the declaration ptr names.
func (s *state) addAt(r Rule, ptr, match, detail string) {
	m := s.app
	line, col := 0, 0
	if off, ok := m.idx.at(ptr); ok {
		line, col = m.text.position(off)
	}
	s.add(r, hit{
		file: m.entry.name, line: line, column: col, snippet: m.text.line(line),
		detail: detail, match: ptr + "=" + match,
	})
}

// addMissing reports a missing file: the finding names the file, and its
// position is the declaration in app.json, since that is what a developer
// fixes if the file is not meant to exist.
func (s *state) addMissing(r Rule, ptr, file, declared string) {
	m := s.app
	line, col := 0, 0
	if off, ok := m.idx.valueAt(ptr); ok {
		line, col = m.text.position(off)
	}
	s.add(r, hit{
		file: file, line: line, column: col, snippet: m.text.line(line),
		detail: fmt.Sprintf("%s (declared as %q in %s)", file, declared, m.entry.name),
		match:  ptr + "=" + declared,
	})
}

// exists reports whether the package has a file at the cleaned zip path,
// matching case exactly: the devices are case-sensitive even when the
// developer's machine is not.
func (s *state) exists(name string) bool {
	return s.arch.byPath[path.Clean(name)] != nil
}

// cleanRel turns a path from app.json into a clean path relative to its
// root, or "" if it is empty. Leading ".." segments are dropped, as resolving
// against "/" does, so a declaration can never name a file outside the root.
func cleanRel(p string) string {
	p = path.Clean("/" + strings.ReplaceAll(strings.TrimSpace(p), `\`, "/"))
	p = strings.TrimPrefix(p, "/")
	if p == "" || p == "." {
		return ""
	}
	return p
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
