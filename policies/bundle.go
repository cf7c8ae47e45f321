package policies

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/util"
)

//go:embed bundle/*.rego bundle/data.json
var defaultBundle embed.FS

const dataFile = "data.json"

// DefaultFiles returns the files of the bundle shipped with the binary, keyed
// by their path inside the bundle. The map is a fresh copy on every call.
func DefaultFiles() map[string][]byte {
	files := map[string][]byte{}
	err := fs.WalkDir(defaultBundle, "bundle", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		content, err := defaultBundle.ReadFile(p)
		if err != nil {
			return err
		}
		files[strings.TrimPrefix(p, "bundle/")] = content
		return nil
	})
	if err != nil {
		// The files are compiled into the binary; failing to read them is a
		// build defect, not a runtime condition.
		panic(fmt.Sprintf("read embedded policy bundle: %v", err))
	}
	return files
}

// bundleHash identifies a bundle by content. Lengths are written before each
// path and content so that moving bytes between a path and its content, or
// between files, changes the hash.
func bundleHash(files map[string][]byte) string {
	h := sha256.New()
	var n [8]byte
	for _, p := range sortedPaths(files) {
		for _, part := range [][]byte{[]byte(p), files[p]} {
			binary.BigEndian.PutUint64(n[:], uint64(len(part)))
			h.Write(n[:])
			h.Write(part)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func sortedPaths(files map[string][]byte) []string {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	return paths
}

func isTestFile(p string) bool { return strings.HasSuffix(p, "_test.rego") }

// parsedBundle is a bundle's files turned into what OPA consumes.
type parsedBundle struct {
	modules map[string]*ast.Module
	data    map[string]any
}

// parseBundle accepts only Rego files and one data.json at the root. Anything
// else is refused rather than ignored: a misnamed file that silently drops out
// of the bundle would change decisions without anyone noticing.
func parseBundle(files map[string][]byte) (*parsedBundle, error) {
	if len(files) == 0 {
		return nil, errors.New("bundle has no files")
	}
	b := &parsedBundle{modules: map[string]*ast.Module{}, data: map[string]any{}}
	var errs ast.Errors
	for _, p := range sortedPaths(files) {
		switch {
		case path.Ext(p) == ".rego":
			m, err := ast.ParseModuleWithOpts(p, string(files[p]), ast.ParserOptions{RegoVersion: ast.RegoV1})
			if err != nil {
				var astErrs ast.Errors
				if errors.As(err, &astErrs) {
					errs = append(errs, astErrs...)
					continue
				}
				return nil, fmt.Errorf("parse %s: %w", p, err)
			}
			b.modules[p] = m
		case p == dataFile:
			if err := util.Unmarshal(files[p], &b.data); err != nil {
				return nil, fmt.Errorf("parse %s: %w", p, err)
			}
		default:
			return nil, fmt.Errorf("bundle file %s: only *.rego files and a top-level %s are allowed", p, dataFile)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("parse bundle: %w", locatedErrors(errs))
	}
	return b, nil
}

func (b *parsedBundle) store() storage.Store {
	// Round-tripping on write copies the data once more for nothing: the map
	// was just decoded and nobody else holds it. Keeping OPA values in the
	// store saves converting the thresholds on every read, that is, on every
	// decision.
	return inmem.NewFromObjectWithOpts(b.data, inmem.OptRoundTripOnWrite(false), inmem.OptReturnASTValuesOnRead(true))
}

// forbiddenBuiltins are refused at compile time. Policies are edited by
// compliance staff and run inside the worker, so they get no network, no
// process or runtime information, and nothing that makes a decision depend
// on anything but its input and data: a recorded input must replay to the
// same decision. Pure builtins stay, even in families that sound risky:
// net.cidr_* only compute on strings, io.jwt.* only on the token given.
var forbiddenBuiltins = []string{
	"http.send",
	"net.lookup_ip_addr",
	"opa.runtime",
	"time.sleep",
	"time.now_ns",
	"rand.intn",
	// One call builds the whole range before the evaluation's time bound is
	// checked again, so numbers.range(1, 1e10) would exhaust a worker's
	// memory instead of timing out. A policy has no use for counting.
	"numbers.range",
	"numbers.range_step",
}

// forbiddenPrefixes refuse whole families. uuid.parse is deterministic, but
// the family is refused as one so that nobody has to remember which member
// generates.
var forbiddenPrefixes = []string{"uuid."}

func isForbidden(name string) bool {
	if slices.Contains(forbiddenBuiltins, name) {
		return true
	}
	return slices.ContainsFunc(forbiddenPrefixes, func(p string) bool { return strings.HasPrefix(name, p) })
}

func restrictedCapabilities() *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	caps.Builtins = slices.DeleteFunc(caps.Builtins, func(b *ast.Builtin) bool { return isForbidden(b.Name) })
	// An empty, non-nil list allows no hosts at all; nil would allow every host.
	caps.AllowNet = []string{}
	return caps
}

// locatedErrors renders compiler errors as file:line:col so that an editor
// (or a person) can jump to them. A call to a removed builtin reads to OPA
// like a typo ("undefined function"); it is reworded to say the builtin is
// forbidden, so that the author does not go looking for a missing import.
func locatedErrors(errs ast.Errors) error {
	errs.Sort()
	var buf bytes.Buffer
	var forbidden []ForbiddenUse
	for i, e := range errs {
		if i > 0 {
			buf.WriteString("; ")
		}
		var file string
		var line, col int
		if e.Location != nil {
			file, line, col = e.Location.File, e.Location.Row, e.Location.Col
			fmt.Fprintf(&buf, "%s:%d:%d: ", file, line, col)
		}
		if name, ok := strings.CutPrefix(e.Message, "undefined function "); ok && isForbidden(name) {
			forbidden = append(forbidden, ForbiddenUse{File: file, Line: line, Builtin: name})
			fmt.Fprintf(&buf, "forbidden builtin %s: policies get no network, runtime, clock, random or unbounded-range builtins", name)
			continue
		}
		buf.WriteString(e.Message)
	}
	return &CompileError{Errors: errs, Forbidden: forbidden, msg: buf.String()}
}

// CompileError is returned when a bundle does not parse or compile. Errors
// keeps OPA's structured errors for callers that show them per line;
// Forbidden lists the calls to builtins that policies may not use.
type CompileError struct {
	Errors    ast.Errors
	Forbidden []ForbiddenUse
	msg       string
}

func (e *CompileError) Error() string { return e.msg }

// ForbiddenUse is one call to a forbidden builtin.
type ForbiddenUse struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Builtin string `json:"builtin"`
}

func (u ForbiddenUse) String() string { return fmt.Sprintf("%s:%d:%s", u.File, u.Line, u.Builtin) }
