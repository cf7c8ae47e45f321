package scan

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"
)

// Project files name the platform and may move the code root.
const (
	weChatProject = "project.config.json"
	alipayProject = "mini.project.json"
	appManifest   = "app.json"
)

// junk is what archivers add on their own; it must not hide that a package
// sits in one top-level folder.
func junk(clean string) bool {
	return clean == "__MACOSX" || strings.HasPrefix(clean, "__MACOSX/") || path.Base(clean) == ".DS_Store"
}

// locate finds where the project sits in the zip and which platform its
// layout belongs to. Developers zip either the contents of their project or
// the project folder itself, so both are accepted.
func (s *state) locate() {
	s.base = s.findBase()
	s.root = s.base
	for _, name := range []string{weChatProject, alipayProject} {
		if e := s.arch.byPath[s.base+name]; e != nil && e.read {
			s.root = s.base + s.codeRoot(e)
		}
	}
	s.detected = s.detectPlatform()
	if !s.platform.known() {
		s.platform = s.detected
	}
}

func (s *state) findBase() string {
	for _, name := range []string{appManifest, weChatProject, alipayProject} {
		if s.arch.byPath[name] != nil {
			return ""
		}
	}
	top := ""
	for _, name := range s.arch.names {
		if junk(name) {
			continue
		}
		first, _, nested := strings.Cut(name, "/")
		if !nested && s.arch.byPath[name] != nil {
			return "" // a file at the top: the zip root is the project
		}
		if top != "" && first != top {
			return ""
		}
		top = first
	}
	if top == "" {
		return ""
	}
	return top + "/"
}

// codeRoot reads miniprogramRoot from a project file. Both platforms use the
// same key for a project whose mini-program code lives in a sub-folder.
func (s *state) codeRoot(e *entry) string {
	var cfg struct {
		MiniprogramRoot string `json:"miniprogramRoot"`
	}
	if len(e.data) > maxManifestBytes {
		s.add(ruleManProjectConfig, hit{file: e.name, detail: fmt.Sprintf("larger than %d bytes, not parsed", maxManifestBytes)})
		return ""
	}
	raw := withoutBOM(e.data)
	if err := json.Unmarshal(raw, &cfg); err != nil {
		s.add(ruleManProjectConfig, errorHit(e, raw, err))
		return ""
	}
	rel := strings.TrimSpace(cfg.MiniprogramRoot)
	if rel == "" {
		return ""
	}
	rel = path.Clean(strings.TrimPrefix(rel, "./"))
	if rel == "." {
		return ""
	}
	if rel == ".." || strings.HasPrefix(rel, "../") || strings.HasPrefix(rel, "/") {
		s.add(ruleManProjectConfig, hit{
			file: e.name, snippet: cfg.MiniprogramRoot,
			detail: fmt.Sprintf("miniprogramRoot %q points outside the project", cfg.MiniprogramRoot),
		})
		return ""
	}
	return rel + "/"
}

// detectPlatform returns the platform whose marker files the package has,
// or "" when it has both or neither.
func (s *state) detectPlatform() Platform {
	we, ali := s.marker(PlatformWeChat), s.marker(PlatformAlipay)
	switch {
	case we != "" && ali == "":
		return PlatformWeChat
	case ali != "" && we == "":
		return PlatformAlipay
	}
	return ""
}

// marker returns the first file showing the platform's layout, or "".
func (s *state) marker(p Platform) string {
	project, template := weChatProject, ".wxml"
	if p == PlatformAlipay {
		project, template = alipayProject, ".axml"
	}
	if e := s.arch.byPath[s.base+project]; e != nil {
		return e.name
	}
	if e := s.arch.byPath[s.base+builtManifest]; e != nil && p == PlatformWeChat {
		return e.name // only WeChat's built packages are read
	}
	for _, e := range s.arch.files {
		if strings.HasPrefix(e.clean, s.base) && strings.EqualFold(path.Ext(e.clean), template) {
			return e.name
		}
	}
	return ""
}

// checkPlatform reports a platform that is unknown or that the layout
// contradicts, because the rest of the review would check the wrong rules.
func checkPlatform(s *state) {
	p := s.opts.Platform
	if !p.known() {
		detail := fmt.Sprintf("unknown platform %q", p)
		if s.detected != "" {
			detail += fmt.Sprintf("; the layout is %s", s.detected)
		}
		s.add(rulePkgPlatform, hit{detail: detail, match: string(p)})
		return
	}
	if s.detected == "" || s.detected == p {
		return
	}
	file := s.marker(s.detected)
	s.add(rulePkgPlatform, hit{
		file: file, snippet: file, match: string(p),
		detail: fmt.Sprintf("submitted for %s but laid out for %s", p, s.detected),
	})
}
