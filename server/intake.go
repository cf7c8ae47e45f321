package server

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"trustgate/internal/blobstore"
	"trustgate/internal/store"
	"trustgate/scan"
	"trustgate/workflows"
)

// multipartSlack is room for the form's other fields and boundaries on top
// of the package itself, the privacy declaration and policy text included.
const multipartSlack = 64<<10 + scan.MaxPrivacyDeclarationBytes + scan.MaxPrivacyPolicyBytes

var versionPattern = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$`)

// upload is a package received to a temporary file, with its hash.
type upload struct {
	appID, version, notes string
	// privacy is the validated declaration as sent (nil: none) and
	// privacyPolicy the policy text ("" : none).
	privacy       []byte
	privacyPolicy string
	file          *os.File
	sha256        string
	size          int64
}

func (u *upload) close() {
	if u.file != nil {
		u.file.Close()
		os.Remove(u.file.Name())
	}
}

// createSubmission is intake: bound the body before reading it, stream the
// package to disk while hashing it, create the row (within the daily quota),
// store the package by SHA-256 and start the workflow (workflow ID =
// submission ID).
func (s *Server) createSubmission(c *gin.Context) {
	ctx := c.Request.Context()
	limit := s.MaxPackageBytes + multipartSlack
	if c.Request.ContentLength > limit {
		fail(c, problemErr("too-large", fmt.Sprintf("packages are limited to %d bytes", s.MaxPackageBytes)))
		return
	}
	key := c.GetHeader("Idempotency-Key")
	if len(key) > 200 {
		fail(c, invalid("Idempotency-Key", "at most 200 characters"))
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	up, err := s.readUpload(c)
	defer up.close()
	if err != nil {
		fail(c, err)
		return
	}
	dev := *caller(c).DeveloperID
	app, err := s.Store.GetApp(ctx, up.appID)
	if errors.Is(err, store.ErrNotFound) || err == nil && app.DeveloperID != dev {
		fail(c, invalid("app_id", "no such app of yours"))
		return
	}
	if err != nil {
		fail(c, err)
		return
	}
	// The row comes first: it is where the quota is decided, so an upload
	// refused for it leaves no package in blob storage and starts nothing.
	// No workflow reads the package before it is started below.
	reqHash := sha256.Sum256([]byte(up.appID + "\n" + up.version + "\n" + up.notes + "\n" + up.sha256 + privacyHash(up)))
	sub, created, err := s.Store.CreateSubmission(ctx, store.NewSubmission{
		AppID: app.ID, DeveloperID: dev, Version: up.version, Notes: up.notes,
		PackageSHA256: up.sha256, PackageBytes: up.size,
		IdempotencyKey: key, RequestHash: hex.EncodeToString(reqHash[:]), DailyQuota: s.DailyQuota,
		Privacy: up.privacy, PrivacyPolicy: up.privacyPolicy,
	})
	if err != nil {
		fail(c, err)
		return
	}
	// Audited where it is made: a retry that finishes the work answers
	// from the key and is not a creation.
	if created {
		s.audit(c, "submission.create", sub.ID, nil, gin.H{"app_id": sub.AppID, "version": sub.Version, "package_sha256": sub.PackageSHA256})
	}
	// Stored and started on every answer, also a retry: if the first attempt
	// stored the row but could not store the package or reach Temporal, the
	// retry does, and starting a workflow that runs already returns that run.
	if _, err := up.file.Seek(0, io.SeekStart); err != nil {
		fail(c, fmt.Errorf("rewind upload: %w", err))
		return
	}
	if err := blobstore.PutPackage(ctx, s.Blobs, up.sha256, up.file); err != nil {
		slog.ErrorContext(ctx, "store package", "submission", sub.ID, "error", err)
		fail(c, problemErr("unavailable", "the submission is stored but its package could not be; retry with the same Idempotency-Key"))
		return
	}
	_, err = s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: sub.ID, TaskQueue: s.TaskQueue,
		// A submission has one run, unless it failed through our fault and
		// an operator retries it.
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
	}, workflows.SubmissionWorkflow, workflows.SubmissionInput{SubmissionID: sub.ID, Review: s.Review})
	if err != nil && !isAlreadyStarted(err) {
		fail(c, problemErr("unavailable", "the submission is stored but its review could not start; retry with the same Idempotency-Key"))
		return
	}
	c.Header("Location", "/v1/submissions/"+sub.ID)
	c.JSON(http.StatusAccepted, gin.H{"id": sub.ID, "state": sub.State})
}

// readUpload streams the multipart form. Fields are bounded; the package
// goes to a temporary file, never whole into memory.
func (s *Server) readUpload(c *gin.Context) (*upload, error) {
	up := &upload{}
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return up, invalid("body", "send multipart/form-data with package, app_id and version")
	}
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return up, invalid("body", "not a multipart form: "+err.Error())
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return up, uploadError(err)
		}
		switch part.FormName() {
		case "package":
			if up.file != nil {
				return up, invalid("package", "send one package")
			}
			if err := s.receivePackage(part, up); err != nil {
				return up, err
			}
		case "privacy", "privacy_policy":
			if err := readPrivacyPart(part, up); err != nil {
				return up, err
			}
		case "app_id", "version", "notes":
			b, err := io.ReadAll(io.LimitReader(part, 4097))
			if err != nil {
				return up, uploadError(err)
			}
			if len(b) > 4096 {
				return up, invalid(part.FormName(), "at most 4096 bytes")
			}
			v := strings.TrimSpace(string(b))
			if strings.ContainsRune(v, 0) || !utf8.ValidString(v) {
				return up, invalid(part.FormName(), "UTF-8 text without NUL characters")
			}
			switch part.FormName() {
			case "app_id":
				up.appID = v
			case "version":
				up.version = v
			case "notes":
				up.notes = v
			}
		default:
			return up, invalid(part.FormName(), "unknown field")
		}
	}
	switch {
	case up.file == nil || up.size == 0:
		return up, invalid("package", "a non-empty package is required (a zip or a .wxapkg)")
	case up.appID == "":
		return up, invalid("app_id", "required")
	case !versionPattern.MatchString(up.version):
		return up, invalid("version", "1 to 64 letters, digits and . + _ - (such as 1.4.0)")
	}
	return up, nil
}

func (s *Server) receivePackage(part io.Reader, up *upload) error {
	f, err := os.CreateTemp("", "trustgate-upload-*.zip")
	if err != nil {
		return fmt.Errorf("buffer upload: %w", err)
	}
	up.file = f
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(part, s.MaxPackageBytes+1))
	if err != nil {
		return uploadError(err)
	}
	if n > s.MaxPackageBytes {
		return problemErr("too-large", fmt.Sprintf("packages are limited to %d bytes", s.MaxPackageBytes))
	}
	up.size, up.sha256 = n, hex.EncodeToString(h.Sum(nil))
	return nil
}

func uploadError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return problemErr("too-large", "request body too large")
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return problemErr("body-timeout", "the upload stalled or arrived too slowly (see TRUSTGATE_HTTP_BODY_STALL_TIMEOUT and TRUSTGATE_HTTP_BODY_MIN_RATE)")
	}
	return invalid("body", "could not read the upload: "+err.Error())
}

func isAlreadyStarted(err error) bool {
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	return errors.As(err, &started)
}
