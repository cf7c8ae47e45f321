package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"trustgate/internal/submission"
	"trustgate/scan"
)

// Exit codes of submit --wait and status, so CI pipelines can branch on the
// outcome without parsing output.
const (
	exitRejected = 3
	exitFailed   = 4
)

// apiClient talks to the /v1 API with a bearer token.
type apiClient struct {
	server, token string
	http          *http.Client
}

func newAPIClient(server, token string) (*apiClient, error) {
	if token == "" {
		return nil, errors.New("no token: pass --token or set TRUSTGATE_TOKEN")
	}
	return &apiClient{server: strings.TrimRight(server, "/"), token: token, http: &http.Client{Timeout: 5 * time.Minute}}, nil
}

// do sends a request and decodes a 2xx JSON answer into out; any other
// answer becomes an error carrying the problem's title and detail.
func (c *apiClient) do(req *http.Request, out any) error {
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		var p struct {
			Title, Detail string
			Errors        []struct{ Field, Message string }
		}
		if json.Unmarshal(body, &p) == nil && p.Title != "" {
			msg := fmt.Sprintf("%s (HTTP %d): %s", p.Title, resp.StatusCode, p.Detail)
			for _, e := range p.Errors {
				msg += fmt.Sprintf("\n  %s: %s", e.Field, e.Message)
			}
			return errors.New(msg)
		}
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	return nil
}

type submissionAnswer struct {
	ID       string           `json:"id"`
	AppID    string           `json:"app_id"`
	Version  string           `json:"version"`
	State    submission.State `json:"state"`
	Decision *struct {
		Outcome string `json:"outcome"`
		Reasons []struct {
			Code, Message, Remediation string
			Evidence                   map[string]any
		} `json:"reasons"`
	} `json:"decision"`
	PolicyVersion *string `json:"policy_version"`
	Failure       *string `json:"failure"`
	Timeline      []struct {
		State submission.State `json:"state"`
		At    time.Time        `json:"at"`
	} `json:"timeline"`
	Findings []struct {
		RuleID   string `json:"rule_id"`
		Severity string `json:"severity"`
		File     string `json:"file"`
		Line     int    `json:"line"`
		Message  string `json:"message"`
	} `json:"findings"`
}

func (c *apiClient) submission(ctx context.Context, id string) (submissionAnswer, error) {
	var s submissionAnswer
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.server+"/v1/submissions/"+id, nil)
	if err != nil {
		return s, err
	}
	return s, c.do(req, &s)
}

func runSubmit(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("submit", "submit --app ID --version V [--notes TEXT] [--privacy DECL.json] [--privacy-policy POLICY.txt] [--wait] FILE.zip")
	server, token := clientFlags(fs)
	app := fs.String("app", "", "app ID (required)")
	version := fs.String("version", "", "version being submitted (required)")
	notes := fs.String("notes", "", "notes for reviewers")
	key := fs.String("idempotency-key", "", "makes a retried submit return the first submission")
	privacyFile := fs.String("privacy", "", "the app's privacy declaration (JSON, see docs/privacy.md), sent with the package")
	policyFile := fs.String("privacy-policy", "", "the app's privacy policy text (zh or en), sent with the package")
	wait := fs.Bool("wait", false, "follow the submission until it settles; exit 0 approved, 3 rejected, 4 failed or withdrawn")
	timeout := fs.Duration("timeout", 10*time.Minute, "how long --wait waits")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *app == "" || *version == "" {
		fs.Usage()
		return &exitError{code: 2, msg: "submit needs --app, --version and one FILE.zip"}
	}
	c, err := newAPIClient(*server, *token)
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	privacyParts, err := readPrivacyFiles(*privacyFile, *policyFile)
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("open package: %w", err)
	}
	defer f.Close()
	// The form is streamed through a pipe, so a large package is never held
	// in memory whole.
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			for _, kv := range append([][2]string{{"app_id", *app}, {"version", *version}, {"notes", *notes}}, privacyParts...) {
				if err := mw.WriteField(kv[0], kv[1]); err != nil {
					return err
				}
			}
			part, err := mw.CreateFormFile("package", filepath.Base(f.Name()))
			if err != nil {
				return err
			}
			if _, err := io.Copy(part, f); err != nil {
				return err
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.server+"/v1/submissions", pr)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if *key != "" {
		req.Header.Set("Idempotency-Key", *key)
	}
	var created struct {
		ID    string           `json:"id"`
		State submission.State `json:"state"`
	}
	if err := c.do(req, &created); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "submitted %s (%s)\n", created.ID, created.State)
	if !*wait {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	var last submissionAnswer
	err = waitFor(ctx, 500*time.Millisecond, func() (bool, error) {
		s, err := c.submission(ctx, created.ID)
		if err != nil {
			return false, err
		}
		if s.State != last.State {
			fmt.Fprintf(stdout, "  %s\n", s.State)
		}
		last = s
		return s.State.Final(), nil
	})
	if err != nil {
		return fmt.Errorf("wait for %s: %w", created.ID, err)
	}
	printSubmission(stdout, last)
	return outcomeExit(last)
}

// readPrivacyFiles reads the optional privacy declaration and policy text
// as the form's parts. The declaration is checked here too, so that a
// mistake is named before the package is uploaded.
func readPrivacyFiles(declPath, policyPath string) ([][2]string, error) {
	var parts [][2]string
	if declPath != "" {
		b, err := os.ReadFile(declPath)
		if err != nil {
			return nil, fmt.Errorf("read privacy declaration: %w", err)
		}
		if _, err := scan.ParsePrivacyDeclaration(b); err != nil {
			return nil, fmt.Errorf("%s: %w", declPath, err)
		}
		parts = append(parts, [2]string{"privacy", string(b)})
	}
	if policyPath != "" {
		b, err := os.ReadFile(policyPath)
		if err != nil {
			return nil, fmt.Errorf("read privacy policy: %w", err)
		}
		if len(b) > scan.MaxPrivacyPolicyBytes {
			return nil, fmt.Errorf("%s: %d bytes is more than the %d a privacy policy may have", policyPath, len(b), scan.MaxPrivacyPolicyBytes)
		}
		parts = append(parts, [2]string{"privacy_policy", string(b)})
	}
	return parts, nil
}

func runStatus(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("status", "status [--json] SUBMISSION_ID")
	server, token := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print the API's answer as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return &exitError{code: 2, msg: "status needs one submission ID"}
	}
	c, err := newAPIClient(*server, *token)
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	s, err := c.submission(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	printSubmission(stdout, s)
	return nil
}

func printSubmission(w io.Writer, s submissionAnswer) {
	fmt.Fprintf(w, "submission %s  app %s  version %s\nstate: %s\n", s.ID, s.AppID, s.Version, s.State)
	if s.Decision != nil {
		policy := ""
		if s.PolicyVersion != nil {
			policy = " (policy " + *s.PolicyVersion + ")"
		}
		fmt.Fprintf(w, "decision: %s%s\n", s.Decision.Outcome, policy)
		for _, r := range s.Decision.Reasons {
			fmt.Fprintf(w, "  %s: %s\n", r.Code, r.Message)
			if r.Remediation != "" {
				fmt.Fprintf(w, "    fix: %s\n", r.Remediation)
			}
		}
	}
	if s.Failure != nil {
		fmt.Fprintf(w, "failure: %s\n", *s.Failure)
	}
	if len(s.Findings) > 0 {
		fmt.Fprintln(w, "findings:")
		for _, f := range s.Findings {
			loc := f.File
			if f.Line > 0 {
				loc = fmt.Sprintf("%s:%d", f.File, f.Line)
			}
			fmt.Fprintf(w, "  [%s] %s %s %s\n", f.Severity, f.RuleID, loc, f.Message)
		}
	}
	if len(s.Timeline) > 0 {
		fmt.Fprintln(w, "timeline:")
		for _, e := range s.Timeline {
			fmt.Fprintf(w, "  %s  %s\n", e.At.Local().Format("2006-01-02 15:04:05"), e.State)
		}
	}
}

func outcomeExit(s submissionAnswer) error {
	switch s.State {
	case submission.Approved:
		return nil
	case submission.Rejected:
		return &exitError{code: exitRejected}
	default:
		return &exitError{code: exitFailed}
	}
}
