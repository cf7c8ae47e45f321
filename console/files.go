package console

import (
	"bytes"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"trustgate/internal/blobstore"
	"trustgate/scan"
)

// The file browser shows at most this much of one file; packages are
// hostile, so nothing here trusts a size the archive claims.
const maxShownFile = 512 << 10

type fileLine struct {
	N    int
	Text string
	Hit  bool
}

type filesData struct {
	Sub       submission
	Files     []string
	Path      string
	Lines     []fileLine
	Binary    bool
	Truncated bool
	Found     bool
}

// filesPage lists a package's files and shows one as escaped text, its
// lines numbered so a finding can link to #L<line>. Who may open a package
// is who may see its submission: the API answers that first.
func (c *Console) filesPage(q *req) (string, view, error) {
	id := q.r.PathValue("id")
	var d filesData
	if err := q.get("/v1/submissions/"+url.PathEscape(id), &d.Sub); err != nil {
		return "", view{}, err
	}
	max := c.cfg.MaxPackageBytes
	if max <= 0 {
		max = 32 << 20
	}
	data, err := blobstore.ReadPackage(q.r.Context(), c.cfg.Blobs, d.Sub.PackageSHA256, max)
	if err != nil {
		return "", view{}, err
	}
	// The scanner's own reader lists the files, so a built package shows
	// its modules at the paths and lines its findings name.
	files, err := scan.ReadFilesBytes(q.r.Context(), data, scan.Limits{})
	if err != nil {
		return "", view{}, err
	}
	d.Path = q.r.URL.Query().Get("path")
	hit := 0
	if v := q.r.URL.Query().Get("line"); v != "" {
		for _, ch := range v {
			if ch < '0' || ch > '9' || hit > 1e7 {
				break
			}
			hit = hit*10 + int(ch-'0')
		}
	}
	for _, f := range files {
		d.Files = append(d.Files, f.Name)
		if f.Name != d.Path || d.Found {
			continue
		}
		d.Found = true
		if f.Data == nil {
			d.Binary = true // refused by the scan; its finding says why
			continue
		}
		b := f.Data
		if len(b) > maxShownFile {
			b, d.Truncated = b[:maxShownFile], true
		}
		if bytes.IndexByte(b, 0) >= 0 || !utf8.Valid(b) && !d.Truncated {
			d.Binary = true
			continue
		}
		for i, line := range strings.Split(string(b), "\n") {
			d.Lines = append(d.Lines, fileLine{N: i + 1, Text: strings.TrimSuffix(line, "\r"), Hit: i+1 == hit})
		}
	}
	sort.Strings(d.Files)
	if d.Path != "" && !d.Found {
		return "", view{}, &problem{Status: 404, Title: "no such file in the package"}
	}
	return "files", view{Title: q.lang.T("files"), Data: d}, nil
}
