package scan

import (
	"fmt"
	"sort"
	"strings"
)

// checkSizes compares the main package, each sub-package and the whole
// package with the platform's limits. Sizes are of the files as submitted;
// the platforms measure their compiled output, which is usually smaller, so
// a package near a limit may still pass there. Files outside the code root
// (project files, READMEs next to miniprogramRoot) are not uploaded and do
// not count.
func checkSizes(s *state) {
	subRoots := map[string]bool{}
	for _, r := range s.subPackageRoots() {
		subRoots[r] = true
	}
	var main, total int64
	sub := map[string]int64{}
	for _, e := range s.arch.files {
		// A module split from a bundle is already counted in the bundle.
		if !strings.HasPrefix(e.clean, s.root) || junk(e.clean) || e.bundle != nil {
			continue
		}
		n := int64(len(e.data))
		if !e.read {
			n = int64(min(e.declared, uint64(s.limits.MaxUnpackedBytes)))
		}
		total += n
		if r := owningRoot(subRoots, e.clean); r != "" {
			sub[r] += n
		} else {
			main += n
		}
	}
	if main > s.limits.MainPackageBytes {
		s.add(rulePkgMainSize, hit{file: s.root, detail: sizeDetail(main, s.limits.MainPackageBytes), match: "main"})
	}
	roots := make([]string, 0, len(sub))
	for r := range sub {
		roots = append(roots, r)
	}
	sort.Strings(roots)
	for _, r := range roots {
		if sub[r] > s.limits.SubPackageBytes {
			s.add(rulePkgSubSize, hit{file: r, snippet: r, detail: sizeDetail(sub[r], s.limits.SubPackageBytes)})
		}
	}
	if total > s.limits.TotalBytes {
		s.add(rulePkgTotalSize, hit{file: s.root, detail: sizeDetail(total, s.limits.TotalBytes), match: "total"})
	}
}

// subPackageRoots are the zip paths of the declared sub-package folders,
// each ending in "/".
func (s *state) subPackageRoots() []string {
	if s.app == nil {
		return nil
	}
	var roots []string
	for _, sp := range s.app.subPackages() {
		if r := cleanRel(sp.pkg.Root); r != "" {
			roots = append(roots, s.root+r+"/")
		}
	}
	return roots
}

// owningRoot returns the longest sub-package root containing name, since
// nothing stops a developer from nesting roots. Walking up the name's own
// folders costs its depth, not the number of declared sub-packages.
func owningRoot(roots map[string]bool, name string) string {
	for i := strings.LastIndexByte(name, '/'); i > 0; i = strings.LastIndexByte(name[:i], '/') {
		if roots[name[:i+1]] {
			return name[:i+1]
		}
	}
	return ""
}

func sizeDetail(got, limit int64) string {
	return fmt.Sprintf("%s, limit %s", humanBytes(got), humanBytes(limit))
}

func humanBytes(n int64) string {
	if n < 1024*1024 {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%.2f MB (%d bytes)", float64(n)/mb, n)
}
