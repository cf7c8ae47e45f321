package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"trustgate/policies"
	"trustgate/scan"
)

// runScan scans a package offline, as a developer's CI would before
// uploading. Exit 3 when it finds anything high or critical.
func runScan(ctx context.Context, args []string, stdout io.Writer) error {
	fset := newFlags("scan", "scan [--platform wechat|alipay] [--json] FILE.zip")
	platform := fset.String("platform", "wechat", "wechat or alipay")
	asJSON := fset.Bool("json", false, "print the report as JSON")
	if err := fset.Parse(args); err != nil {
		return err
	}
	if fset.NArg() != 1 {
		fset.Usage()
		return &exitError{code: 2, msg: "scan needs one FILE.zip"}
	}
	report, err := scan.ScanFile(ctx, fset.Arg(0), scan.Options{Platform: scan.Platform(*platform)})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stdout, "%s: %d files, %d bytes unpacked, %d findings\n", fset.Arg(0), report.Files, report.UnpackedBytes, len(report.Findings))
		for _, f := range report.Findings {
			fmt.Fprintf(stdout, "  [%s] %s %s:%d:%d %s\n    fix: %s\n", f.Severity, f.RuleID, f.File, f.Line, f.Column, f.Message, f.Remediation)
		}
	}
	if w := report.Worst(); w == scan.SeverityHigh || w == scan.SeverityCritical {
		return &exitError{code: 3}
	}
	return nil
}

// runPolicy evaluates a decision input or runs a bundle's Rego tests; the
// bundle is the shipped one unless --bundle names a folder.
func runPolicy(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || (args[0] != "eval" && args[0] != "test") {
		return &exitError{code: 2, msg: "usage: trustgate policy eval --input FILE.json [--bundle DIR] | policy test [--bundle DIR]"}
	}
	fset := newFlags("policy "+args[0], "policy "+args[0]+" [--bundle DIR] [--input FILE.json]")
	bundle := fset.String("bundle", "", "folder with *.rego and data.json (default: the shipped bundle)")
	input := fset.String("input", "", "decision input as JSON (eval)")
	if err := fset.Parse(args[1:]); err != nil {
		return err
	}
	files := policies.DefaultFiles()
	if *bundle != "" {
		var err error
		if files, err = readBundle(*bundle); err != nil {
			return err
		}
	}
	if args[0] == "test" {
		report, err := policies.RunTests(ctx, files)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report); err != nil {
			return err
		}
		if !report.OK() {
			return &exitError{code: 3, msg: "policy tests failed"}
		}
		return nil
	}
	if *input == "" {
		return &exitError{code: 2, msg: "policy eval needs --input FILE.json"}
	}
	raw, err := os.ReadFile(*input)
	if err != nil {
		return fmt.Errorf("read input: %w", err)
	}
	var in policies.Input
	if err := json.Unmarshal(raw, &in); err != nil {
		return &exitError{code: 2, msg: fmt.Sprintf("%s is not a decision input: %v", *input, err)}
	}
	engine, err := policies.New(files)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(engine.Decide(ctx, in))
}

// readBundle reads the .rego and .json files of a folder.
func readBundle(dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !strings.HasSuffix(path, ".rego") && filepath.Base(path) != "data.json" {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read bundle %s: %w", dir, err)
	}
	return files, nil
}
