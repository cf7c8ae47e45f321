// Package blobstore keeps uploaded packages in blob storage, addressed by
// their SHA-256, through gocloud so that file:// in development and s3:// (or
// any other driver) in production are the same code.
package blobstore

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file:// buckets
	_ "gocloud.dev/blob/s3blob"   // s3:// buckets
)

// Open opens the bucket at a gocloud URL. A file:// folder is created first,
// relative paths are resolved against the working directory.
func Open(ctx context.Context, rawURL string) (*blob.Bucket, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parse blob url %q: %w", rawURL, err)
	}
	if u.Scheme == "file" {
		dir := u.Path
		if u.Host != "" { // file://relative/path parses the first part as host
			dir = filepath.Join(u.Host, u.Path)
		}
		if dir, err = filepath.Abs(dir); err != nil {
			return nil, fmt.Errorf("resolve blob folder: %w", err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create blob folder %s: %w", dir, err)
		}
		q := u.Query()
		q.Set("create_dir", "true")
		rawURL = "file://" + filepath.ToSlash(dir) + "?" + q.Encode()
	}
	b, err := blob.OpenBucket(ctx, rawURL)
	if err != nil {
		return nil, fmt.Errorf("open blob bucket %s: %w", redact(rawURL), err)
	}
	return b, nil
}

// PackageKey is where a package with this SHA-256 (hex) is kept.
func PackageKey(sha256hex string) string {
	return "packages/" + sha256hex + ".zip"
}

// PutPackage stores a package unless the same bytes are already there:
// packages are content-addressed, so a second upload costs nothing.
func PutPackage(ctx context.Context, b *blob.Bucket, sha256hex string, r io.Reader) error {
	key := PackageKey(sha256hex)
	if ok, err := b.Exists(ctx, key); err == nil && ok {
		return nil
	}
	w, err := b.NewWriter(ctx, key, &blob.WriterOptions{ContentType: "application/zip"})
	if err != nil {
		return fmt.Errorf("store package %s: %w", sha256hex, err)
	}
	if _, err := io.Copy(w, r); err != nil {
		_ = w.Close()
		return fmt.Errorf("store package %s: %w", sha256hex, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("store package %s: %w", sha256hex, err)
	}
	return nil
}

// ReadPackage reads a whole package, at most max bytes.
func ReadPackage(ctx context.Context, b *blob.Bucket, sha256hex string, max int64) ([]byte, error) {
	r, err := b.NewReader(ctx, PackageKey(sha256hex), nil)
	if err != nil {
		return nil, fmt.Errorf("open package %s: %w", sha256hex, err)
	}
	defer r.Close()
	if r.Size() > max {
		return nil, fmt.Errorf("package %s is %d bytes, over the %d limit", sha256hex, r.Size(), max)
	}
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("read package %s: %w", sha256hex, err)
	}
	return data, nil
}

// redact hides credentials that a bucket URL may carry in its query.
func redact(raw string) string {
	if i := strings.IndexByte(raw, '?'); i >= 0 {
		return raw[:i] + "?…"
	}
	return raw
}
