package policies

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Limits on a bundle that compliance uploads or edits. Drafts are untrusted
// input to the compiler: these keep one from holding a worker or the
// database with sheer size. The shipped bundle is a few tens of kilobytes.
const (
	MaxFileBytes   = 256 << 10
	MaxBundleBytes = 1 << 20
	MaxFiles       = 64
	maxPathLen     = 200
)

// CheckPath refuses a path that cannot be a bundle file: only *.rego files
// (in folders if wanted) and a top-level data.json, relative and clean.
func CheckPath(p string) error {
	switch {
	case p == "" || len(p) > maxPathLen:
		return fmt.Errorf("file path must be 1 to %d characters", maxPathLen)
	case path.Clean(p) != p || strings.HasPrefix(p, "/") || strings.HasPrefix(p, "../") || p == "..":
		return fmt.Errorf("file path %q must be relative and clean (no leading /, no .. or //)", p)
	case strings.ContainsAny(p, "\\\x00"):
		return fmt.Errorf("file path %q has a backslash or NUL", p)
	case p != dataFile && path.Ext(p) != ".rego":
		return fmt.Errorf("bundle file %s: only *.rego files and a top-level %s are allowed", p, dataFile)
	}
	return nil
}

// CheckFiles checks a whole bundle against the limits before anything
// parses it.
func CheckFiles(files map[string][]byte) error {
	if len(files) == 0 {
		return errors.New("the bundle has no files")
	}
	if len(files) > MaxFiles {
		return fmt.Errorf("the bundle has %d files; at most %d", len(files), MaxFiles)
	}
	total := 0
	for _, p := range sortedPaths(files) {
		if err := CheckPath(p); err != nil {
			return err
		}
		c := files[p]
		if len(c) > MaxFileBytes {
			return fmt.Errorf("%s is %d bytes; a file may have at most %d", p, len(c), MaxFileBytes)
		}
		if !utf8.Valid(c) {
			return fmt.Errorf("%s is not UTF-8 text", p)
		}
		total += len(c)
	}
	if total > MaxBundleBytes {
		return fmt.Errorf("the bundle is %d bytes; at most %d", total, MaxBundleBytes)
	}
	return nil
}

// Hash is the hash of a bundle given as files, the same as Engine.Hash of
// the engine they compile to.
func Hash(files map[string][]byte) string { return bundleHash(files) }

// ValidationReport is the outcome of compiling a bundle under the restricted
// capabilities: the report a draft carries after /validate.
type ValidationReport struct {
	Hash      string         `json:"hash"`
	OK        bool           `json:"ok"`
	Errors    []SourceError  `json:"errors"`
	Forbidden []ForbiddenUse `json:"forbidden,omitempty"`
	// Evaluator is what will make the bundle's decisions, EvaluatorPlan or
	// EvaluatorOPA, once it compiles; EvaluatorNote says why OPA's.
	Evaluator     string `json:"evaluator,omitempty"`
	EvaluatorNote string `json:"evaluator_note,omitempty"`
}

// SourceError is one error with where it is, when the compiler knows.
type SourceError struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
}

// Validate compiles files as New does and reports every error with its
// file, line and column.
func Validate(files map[string][]byte) ValidationReport {
	r := ValidationReport{Hash: bundleHash(files), Errors: []SourceError{}}
	if err := CheckFiles(files); err != nil {
		r.Errors = append(r.Errors, SourceError{Message: err.Error()})
		return r
	}
	engine, err := New(files)
	if err == nil {
		r.Evaluator, r.EvaluatorNote = engine.Evaluator(), engine.EvaluatorNote()
		// A builtin the plan machine is not proven on would make the bundle
		// the only one decided by OPA's evaluator, unnoticed; the author is
		// told which, and where, and may use another or ask for the process
		// to run OPA's evaluator.
		var unproven *UnprovenBuiltinError
		if errors.As(engine.planErr, &unproven) {
			name := unproven.Builtin
			se := SourceError{Message: fmt.Sprintf("builtin %s is not supported: the plan machine that makes decisions is not proven on it; use another builtin, or run OPA's evaluator (TRUSTGATE_POLICY_ENGINE=opa)", name)}
			if loc := callSite(engine.compiler, name); loc != nil {
				se.File, se.Line, se.Column = loc.File, loc.Row, loc.Col
			}
			r.Errors = append(r.Errors, se)
			return r
		}
		r.OK = true
		return r
	}
	var ce *CompileError
	if !errors.As(err, &ce) || len(ce.Errors) == 0 {
		r.Errors = append(r.Errors, SourceError{Message: err.Error()})
		return r
	}
	r.Forbidden = ce.Forbidden
	for _, e := range ce.Errors {
		r.Errors = append(r.Errors, sourceError(e))
	}
	return r
}

func sourceError(e *ast.Error) SourceError {
	se := SourceError{Message: e.Message}
	if name, ok := strings.CutPrefix(e.Message, "undefined function "); ok && isForbidden(name) {
		se.Message = "forbidden builtin " + name + ": policies get no network, runtime, clock, random or unbounded-range builtins"
	}
	if e.Location != nil {
		se.File, se.Line, se.Column = e.Location.File, e.Location.Row, e.Location.Col
	}
	return se
}

// callSite is where the first call to the builtin name is in the bundle's
// modules, or nil.
func callSite(compiler *ast.Compiler, name string) *ast.Location {
	var loc *ast.Location
	for _, p := range sortedModules(compiler.Modules) {
		ast.WalkExprs(compiler.Modules[p], func(x *ast.Expr) bool {
			if loc == nil && x.IsCall() && x.Operator().String() == name {
				loc = x.Location
			}
			return loc != nil
		})
		if loc != nil {
			return loc
		}
	}
	return nil
}

func sortedModules(mods map[string]*ast.Module) []string {
	paths := make([]string, 0, len(mods))
	for p := range mods {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	return paths
}
