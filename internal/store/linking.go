package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// What links packages and developers across accounts: code fingerprints
// found by their LSH bands, shared indicators and keyed identity hashes
// (docs/linking.md, "Storage and lookup").

// The shapes of the scan's fingerprint and indicators (package scan), as
// stored: the store depends on no scanner, so that the API, which reads
// it, does not either. A test holds these equal to the scan's.
const (
	MinHashSize = 128
	LSHBands    = 32
	LSHRows     = 4
)

// Fingerprint is a package's code fingerprint (scan.CodeFingerprint).
type Fingerprint struct {
	MinHash  []uint32        `json:"minhash,omitempty"`
	Shingles int             `json:"shingles"`
	Files    []FileSignature `json:"files,omitempty"`
}

// FileSignature is one own module's signature (scan.FileFingerprint).
type FileSignature struct {
	File    string   `json:"file"`
	MinHash []uint32 `json:"minhash"`
	Common  bool     `json:"common,omitempty"` // shipped by many developers: not in the package's MinHash
}

// Indicator is what a package shares with others (scan.Indicator).
type Indicator struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
	File  string `json:"file,omitempty"`
	Line  int    `json:"line,omitempty"`
}

// Indicator kinds (scan.Indicator*).
const (
	IndicatorHost       = "host"
	IndicatorWebView    = "webview_domain"
	IndicatorSecretHash = "secret_sha256"
	IndicatorMerchantID = "merchant_id"
	IndicatorAppID      = "app_id"
	IndicatorAssetHash  = "asset_sha256"
)

// maxCodeCandidates bounds the packages one RelatedByCode reads to compare
// in full. Unrelated code shares a band by chance about once in a hundred
// million pairs, so candidates are nearly always true neighbours; only a
// template copied by thousands of accounts reaches the bound, and then the
// answer is some of them, not all.
const maxCodeCandidates = 2000

// BandHashes is the LSH index of a MinHash signature: for each of
// LSHBands bands, FNV-1a (64 bits) over the band's number and its
// LSHRows values as little-endian bytes. Two signatures share a band
// hash exactly when they agree on all values of that band (up to a 2⁻⁶⁴
// chance), and the band number in the hash keeps equal values in different
// bands apart, so all bands go in one index. It returns nil for a signature
// that is not MinHashSize long.
func BandHashes(sig []uint32) []int64 {
	if len(sig) != MinHashSize {
		return nil
	}
	const offset, prime = 14695981039346656037, 1099511628211
	out := make([]int64, LSHBands)
	var buf [1 + 4*LSHRows]byte
	for b := range LSHBands {
		buf[0] = byte(b)
		for r := range LSHRows {
			binary.LittleEndian.PutUint32(buf[1+4*r:], sig[b*LSHRows+r])
		}
		h := uint64(offset)
		for _, c := range buf {
			h ^= uint64(c)
			h *= prime
		}
		out[b] = int64(h)
	}
	return out
}

// Similarity is scan.Similarity, kept equal to it by a test: the
// Sørensen–Dice coefficient 2J/(1+J) of the two packages' shingle sets,
// from the Jaccard estimate J, the share of positions where the MinHash
// signatures agree.
func Similarity(a, b []uint32) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return 0
	}
	same := 0
	for i := range a {
		if a[i] == b[i] {
			same++
		}
	}
	// Rounded to three places: the estimate is good to about ±0.03, and
	// the reasons a developer reads quote it.
	j := float64(same) / float64(len(a))
	return math.Round(2*j/(1+j)*1000) / 1000
}

func encodeMinHash(sig []uint32) []byte {
	out := make([]byte, 4*len(sig))
	for i, v := range sig {
		binary.LittleEndian.PutUint32(out[4*i:], v)
	}
	return out
}

func decodeMinHash(b []byte) []uint32 {
	out := make([]uint32, len(b)/4)
	for i := range out {
		out[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return out
}

// SaveFingerprint stores the code fingerprint of a submission, replacing
// the one stored before: a scan run twice leaves the same row. A
// fingerprint without a MinHash (too little own code to compare) leaves
// none stored.
func (s *Store) SaveFingerprint(ctx context.Context, submissionID, developerID, appID string, fp Fingerprint) error {
	if fp.MinHash != nil && len(fp.MinHash) != MinHashSize {
		return fmt.Errorf("save fingerprint of %s: %d MinHash values, want %d", submissionID, len(fp.MinHash), MinHashSize)
	}
	return s.inTx(ctx, func(tx pgx.Tx) error { return saveFingerprint(ctx, tx, submissionID, developerID, appID, fp) })
}

func saveFingerprint(ctx context.Context, tx pgx.Tx, submissionID, developerID, appID string, fp Fingerprint) error {
	if fp.MinHash == nil {
		_, err := tx.Exec(ctx, `DELETE FROM link_fingerprints WHERE submission_id = $1`, submissionID)
		if err != nil {
			return fmt.Errorf("clear fingerprint of %s: %w", submissionID, err)
		}
		return nil
	}
	if len(fp.MinHash) != MinHashSize {
		return fmt.Errorf("save fingerprint of %s: %d MinHash values, want %d", submissionID, len(fp.MinHash), MinHashSize)
	}
	fileSigs := fp.Files
	if fileSigs == nil {
		fileSigs = []FileSignature{}
	}
	files, err := json.Marshal(fileSigs)
	if err != nil {
		return fmt.Errorf("encode file signatures of %s: %w", submissionID, err)
	}
	_, err = tx.Exec(ctx, `
		WITH f AS (
			INSERT INTO link_fingerprints (submission_id, developer_id, app_id, minhash, bands, shingles)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (submission_id) DO UPDATE SET developer_id = EXCLUDED.developer_id,
				app_id = EXCLUDED.app_id, minhash = EXCLUDED.minhash, bands = EXCLUDED.bands,
				shingles = EXCLUDED.shingles
			RETURNING submission_id)
		INSERT INTO link_fingerprint_files (submission_id, files) SELECT submission_id, $7 FROM f
		ON CONFLICT (submission_id) DO UPDATE SET files = EXCLUDED.files`,
		submissionID, developerID, appID, encodeMinHash(fp.MinHash), BandHashes(fp.MinHash), fp.Shingles, files)
	if err != nil {
		return fmt.Errorf("save fingerprint of %s: %w", submissionID, err)
	}
	return nil
}

// Fingerprint reads back a submission's stored fingerprint with its
// per-file signatures; ok is false when none is stored (not scanned yet,
// or too little own code).
func (s *Store) Fingerprint(ctx context.Context, submissionID string) (fp Fingerprint, ok bool, err error) {
	var minhash, files []byte
	err = s.pool.QueryRow(ctx, `
		SELECT f.minhash, f.shingles, COALESCE(ff.files, '[]')
		FROM link_fingerprints f LEFT JOIN link_fingerprint_files ff USING (submission_id)
		WHERE f.submission_id = $1`, submissionID).Scan(&minhash, &fp.Shingles, &files)
	if errors.Is(err, pgx.ErrNoRows) {
		return Fingerprint{}, false, nil
	}
	if err != nil {
		return Fingerprint{}, false, fmt.Errorf("fingerprint of %s: %w", submissionID, err)
	}
	fp.MinHash = decodeMinHash(minhash)
	if err := json.Unmarshal(files, &fp.Files); err != nil {
		return Fingerprint{}, false, fmt.Errorf("file signatures of %s: %w", submissionID, err)
	}
	return fp, true, nil
}

// Indicators reads back the indicators stored for a submission, by kind
// and value.
func (s *Store) Indicators(ctx context.Context, submissionID string) ([]Indicator, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT kind, value FROM link_indicators WHERE submission_id = $1 ORDER BY kind, value`, submissionID)
	if err != nil {
		return nil, fmt.Errorf("indicators of %s: %w", submissionID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Indicator, error) {
		var ind Indicator
		return ind, row.Scan(&ind.Kind, &ind.Value)
	})
	if err != nil {
		return nil, fmt.Errorf("indicators of %s: %w", submissionID, err)
	}
	return out, nil
}

// DeveloperIdentity reads a developer's identity hashes (to look up who
// else has them; never to show).
func (s *Store) DeveloperIdentity(ctx context.Context, developerID string) ([]IdentityHash, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT kind, hash FROM link_identity WHERE developer_id = $1 ORDER BY kind, hash`, developerID)
	if err != nil {
		return nil, fmt.Errorf("identity hashes of %s: %w", developerID, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[IdentityHash])
	if err != nil {
		return nil, fmt.Errorf("identity hashes of %s: %w", developerID, err)
	}
	return out, nil
}

// ScanResult is what a scan of a submission's package leaves stored.
type ScanResult struct {
	SubmissionID string
	DeveloperID  string
	AppID        string
	Findings     []Finding
	Fingerprint  Fingerprint
	Indicators   []Indicator
}

// SaveScan stores a scan's findings, fingerprint and indicators in one
// transaction, each replacing what an earlier run of the same scan stored:
// one commit flush instead of three, and never findings without the
// fingerprint that the decision's related lookup reads.
func (s *Store) SaveScan(ctx context.Context, r ScanResult) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := saveFindings(ctx, tx, r.SubmissionID, r.Findings); err != nil {
			return err
		}
		if err := saveFingerprint(ctx, tx, r.SubmissionID, r.DeveloperID, r.AppID, r.Fingerprint); err != nil {
			return err
		}
		if err := saveModules(ctx, tx, r.DeveloperID, r.Fingerprint.Files); err != nil {
			return err
		}
		return saveIndicators(ctx, tx, r.SubmissionID, r.DeveloperID, r.AppID, r.Indicators)
	})
}

// ModuleHash is how a module is known across packages: SHA-256 of its
// MinHash signature, 4 bytes a value little-endian. The signature is the
// same for the module renamed, reformatted or minified, so the hash is too.
func ModuleHash(sig []uint32) []byte {
	h := sha256.Sum256(encodeMinHash(sig))
	return h[:]
}

// saveModules counts the developer once for each module of theirs not
// counted before (link_modules, link_module_counts), whether or not it is
// already common: a module becomes common by being counted. Only a
// developer whose real name is verified and who is not blacklisted counts:
// an account that cost nothing to open must not help hide code.
func saveModules(ctx context.Context, tx pgx.Tx, developerID string, files []FileSignature) error {
	hashes := make([][]byte, 0, len(files))
	for _, f := range files {
		if len(f.MinHash) == MinHashSize {
			hashes = append(hashes, ModuleHash(f.MinHash))
		}
	}
	if len(hashes) == 0 {
		return nil
	}
	// Sorted, so that two scans counting the same modules take the count
	// rows' locks in the same order and cannot deadlock.
	slices.SortFunc(hashes, bytes.Compare)
	hashes = slices.CompactFunc(hashes, bytes.Equal)
	_, err := tx.Exec(ctx, `
		WITH added AS (
			INSERT INTO link_modules (module_hash, developer_id)
			SELECT h, $2 FROM unnest($1::bytea[]) AS h
			WHERE EXISTS (SELECT 1 FROM developers d
			              WHERE d.id = $2 AND d.real_name_status = 'verified' AND NOT d.blacklisted)
			ON CONFLICT DO NOTHING
			RETURNING module_hash)
		INSERT INTO link_module_counts (module_hash, developers)
		SELECT module_hash, 1 FROM added ORDER BY module_hash
		ON CONFLICT (module_hash) DO UPDATE SET developers = link_module_counts.developers + 1`,
		hashes, developerID)
	if err != nil {
		return fmt.Errorf("count modules of %s: %w", developerID, err)
	}
	return nil
}

// CommonModules answers, for each signature, whether at least
// minDevelopers developers other than excludeDeveloper ship that module
// (scan.Options.CommonModules). The developer asking is left out of the
// count, so that their own modules, counted when an earlier version of
// theirs was scanned, never count towards making them common.
func (s *Store) CommonModules(ctx context.Context, sigs [][]uint32, minDevelopers int, excludeDeveloper string) ([]bool, error) {
	out := make([]bool, len(sigs))
	if len(sigs) == 0 {
		return out, nil
	}
	hashes := make([][]byte, len(sigs))
	for i, sig := range sigs {
		hashes[i] = ModuleHash(sig)
	}
	rows, err := s.pool.Query(ctx, `
		SELECT c.module_hash FROM link_module_counts c
		WHERE c.module_hash = ANY ($1)
		  AND c.developers - (SELECT count(*) FROM link_modules m
		                      WHERE m.module_hash = c.module_hash AND m.developer_id = $3) >= $2`,
		hashes, minDevelopers, excludeDeveloper)
	if err != nil {
		return nil, fmt.Errorf("common modules: %w", err)
	}
	common, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return nil, fmt.Errorf("common modules: %w", err)
	}
	isCommon := make(map[string]bool, len(common))
	for _, c := range common {
		isCommon[string(c)] = true
	}
	for i, h := range hashes {
		out[i] = isCommon[string(h)]
	}
	return out, nil
}

// CodeMatch is a stored package whose code is similar to the one looked up.
type CodeMatch struct {
	SubmissionID string  `json:"submission_id"`
	AppID        string  `json:"app_id"`
	DeveloperID  string  `json:"developer_id"`
	Similarity   float64 `json:"similarity"`
	Shingles     int     `json:"shingles"`
}

// RelatedByCode finds the stored packages, other than excludeDeveloper's,
// whose estimated similarity to sig is at least minSimilarity, most similar
// first, at most limit of them. Candidates are the packages sharing at
// least one LSH band: probability 1-(1-J⁴)³² for the Jaccard similarity J
// = s/(2-s) behind similarity s, 0.9991 at 0.8 and above 0.99999 at 0.9,
// but only 0.33 at 0.5; each candidate's similarity is then computed on
// its whole signature, so a chance band collision is never a match.
func (s *Store) RelatedByCode(ctx context.Context, sig []uint32, minSimilarity float64, excludeDeveloper string, limit int) ([]CodeMatch, error) {
	bands := BandHashes(sig)
	if bands == nil {
		return nil, fmt.Errorf("related by code: %d MinHash values, want %d", len(sig), MinHashSize)
	}
	var out []CodeMatch
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// The planner guesses that a package shares a band with 15% of all
		// packages (it has no statistics for values it never saw, which is
		// every band of a new package), so with the LIMIT it would rather
		// scan every fingerprint (seconds at a million) than probe the GIN
		// index 32 times (milliseconds). Nothing else answers this query.
		if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
			SELECT submission_id, app_id, developer_id, minhash, shingles FROM link_fingerprints
			WHERE bands && $1 AND developer_id <> $2
			LIMIT $3`, bands, excludeDeveloper, maxCodeCandidates)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m CodeMatch
			var minhash []byte
			if err := rows.Scan(&m.SubmissionID, &m.AppID, &m.DeveloperID, &minhash, &m.Shingles); err != nil {
				return err
			}
			if m.Similarity = Similarity(sig, decodeMinHash(minhash)); m.Similarity >= minSimilarity {
				out = append(out, m)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("related by code: %w", err)
	}
	slices.SortFunc(out, func(a, b CodeMatch) int {
		if a.Similarity != b.Similarity {
			if a.Similarity > b.Similarity {
				return -1
			}
			return 1
		}
		return strings.Compare(a.SubmissionID, b.SubmissionID)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// maxIndicatorValue bounds the value kept to show a reviewer; the hash,
// which finds it, is of the whole value.
const maxIndicatorValue = 512

var indicatorKinds = []string{IndicatorHost, IndicatorWebView, IndicatorSecretHash,
	IndicatorMerchantID, IndicatorAppID, IndicatorAssetHash}

// indicatorKey is an indicator's normalised value and the hash it is found
// by. Hosts, domains and hex hashes compare without case; IDs as written.
func indicatorKey(ind Indicator) (string, []byte, error) {
	if !slices.Contains(indicatorKinds, ind.Kind) {
		return "", nil, fmt.Errorf("indicator kind %q", ind.Kind)
	}
	v := strings.TrimSpace(ind.Value)
	switch ind.Kind {
	case IndicatorHost, IndicatorWebView, IndicatorSecretHash, IndicatorAssetHash:
		v = strings.ToLower(v)
	}
	if v == "" {
		return "", nil, fmt.Errorf("empty %s indicator", ind.Kind)
	}
	h := sha256.Sum256([]byte(v))
	return v, h[:], nil
}

// indicatorKeys is each distinct indicator (by kind and value hash) once,
// in the order given, as the parallel arrays the queries unnest: kind,
// normalised value, value hash.
func indicatorKeys(inds []Indicator) (kinds, values []string, hashes [][]byte, err error) {
	seen := map[string]bool{}
	for _, ind := range inds {
		v, h, err := indicatorKey(ind)
		if err != nil {
			return nil, nil, nil, err
		}
		if k := ind.Kind + "\x00" + string(h); !seen[k] {
			seen[k] = true
			kinds, values, hashes = append(kinds, ind.Kind), append(values, v), append(hashes, h)
		}
	}
	return kinds, values, hashes, nil
}

func shorten(v string, n int) string {
	if len(v) <= n {
		return v
	}
	v = v[:n]
	for !utf8.ValidString(v) {
		v = v[:len(v)-1]
	}
	return v
}

// SaveIndicators stores what a submission's package shares with others,
// replacing the set stored before, so a scan run twice leaves the same set.
// The same value found in several files is stored once.
func (s *Store) SaveIndicators(ctx context.Context, submissionID, developerID, appID string, inds []Indicator) error {
	return s.inTx(ctx, func(tx pgx.Tx) error { return saveIndicators(ctx, tx, submissionID, developerID, appID, inds) })
}

func saveIndicators(ctx context.Context, tx pgx.Tx, submissionID, developerID, appID string, inds []Indicator) error {
	kinds, values, hashes, err := indicatorKeys(inds)
	if err != nil {
		return fmt.Errorf("save indicators of %s: %w", submissionID, err)
	}
	for i, v := range values {
		values[i] = shorten(v, maxIndicatorValue)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM link_indicators WHERE submission_id = $1`, submissionID); err != nil {
		return fmt.Errorf("save indicators of %s: %w", submissionID, err)
	}
	if len(kinds) == 0 {
		return nil
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO link_indicators (submission_id, developer_id, app_id, kind, value_hash, value)
		SELECT $1, $2, $3, k, h, v FROM unnest($4::text[], $5::bytea[], $6::text[]) AS t (k, h, v)`,
		submissionID, developerID, appID, kinds, hashes, values)
	if err != nil {
		return fmt.Errorf("save indicators of %s: %w", submissionID, err)
	}
	return nil
}

// IdentityHash is one keyed hash of a developer's identity detail, made by
// internal/linkkey; Kind is linkkey.IDDocument, Phone or SettlementAccount.
type IdentityHash struct {
	Kind string
	Hash []byte
}

// SetDeveloperIdentity replaces the developer's identity hashes of the
// kinds given (kinds not given keep theirs); setting the same twice
// changes nothing.
func (s *Store) SetDeveloperIdentity(ctx context.Context, developerID string, hashes []IdentityHash) error {
	var kinds []string
	var allKinds []string
	var values [][]byte
	for _, h := range hashes {
		kinds, values = append(kinds, h.Kind), append(values, h.Hash)
		if !slices.Contains(allKinds, h.Kind) {
			allKinds = append(allKinds, h.Kind)
		}
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM link_identity WHERE developer_id = $1 AND kind = ANY ($2)`,
			developerID, allKinds); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO link_identity (developer_id, kind, hash)
			SELECT $1, k, h FROM unnest($2::text[], $3::bytea[]) AS t (k, h)
			ON CONFLICT DO NOTHING`, developerID, kinds, values)
		return err
	})
	if err != nil {
		return fmt.Errorf("set identity hashes of %s: %w", developerID, err)
	}
	return nil
}

// IndicatorMatch is another developer's package, or another developer, that
// shares one indicator with the one looked up. For a package indicator,
// Value is the shared value and SubmissionID and AppID the other package;
// for an identity hash (kinds id_document, phone, settlement_account) only
// Kind and DeveloperID are set: the hash is never handed out.
type IndicatorMatch struct {
	Kind         string `json:"kind"`
	Value        string `json:"value,omitempty"`
	SubmissionID string `json:"submission_id,omitempty"`
	AppID        string `json:"app_id,omitempty"`
	DeveloperID  string `json:"developer_id"`
}

// RelatedByIndicators finds, for each package indicator and identity hash,
// who else has it: other developers' submissions and other developers,
// never excludeDeveloper's own, at most perIndicator of them for each (any
// of them: a host that thousands of packages call is shared by thousands).
func (s *Store) RelatedByIndicators(ctx context.Context, inds []Indicator, identity []IdentityHash, excludeDeveloper string, perIndicator int) ([]IndicatorMatch, error) {
	kinds, values, hashes, err := indicatorKeys(inds)
	if err != nil {
		return nil, fmt.Errorf("related by indicators: %w", err)
	}
	var idKinds []string
	var idHashes [][]byte
	for _, h := range identity {
		idKinds, idHashes = append(idKinds, h.Kind), append(idHashes, h.Hash)
	}
	if perIndicator <= 0 {
		perIndicator = 100
	}
	rows, err := s.pool.Query(ctx, `
		SELECT q.kind, q.n, m.submission_id, m.app_id, m.developer_id
		FROM unnest($1::text[], $2::bytea[]) WITH ORDINALITY AS q (kind, hash, n)
		CROSS JOIN LATERAL (
			SELECT i.submission_id, i.app_id, i.developer_id FROM link_indicators i
			WHERE i.kind = q.kind AND i.value_hash = q.hash AND i.developer_id <> $3
			LIMIT $4) m
		UNION ALL
		SELECT q.kind, 0, '', '', m.developer_id
		FROM unnest($5::text[], $6::bytea[]) AS q (kind, hash)
		CROSS JOIN LATERAL (
			SELECT DISTINCT d.developer_id FROM link_identity d
			WHERE d.kind = q.kind AND d.hash = q.hash AND d.developer_id <> $3
			LIMIT $4) m
		ORDER BY 1, 2, 5, 3`, kinds, hashes, excludeDeveloper, perIndicator, idKinds, idHashes)
	if err != nil {
		return nil, fmt.Errorf("related by indicators: %w", err)
	}
	defer rows.Close()
	var out []IndicatorMatch
	for rows.Next() {
		var m IndicatorMatch
		var n int64
		if err := rows.Scan(&m.Kind, &n, &m.SubmissionID, &m.AppID, &m.DeveloperID); err != nil {
			return nil, fmt.Errorf("related by indicators: %w", err)
		}
		if n > 0 {
			m.Value = values[n-1]
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("related by indicators: %w", err)
	}
	return out, nil
}

// LinkStanding is where a linked submission, its app and its developer
// stand: what the decision's related input and the reviewer's panel show
// of the other side.
type LinkStanding struct {
	SubmissionID          string   `json:"submission_id,omitempty"`
	AppID                 string   `json:"app_id,omitempty"`
	AppName               string   `json:"app_name,omitempty"`
	DeveloperID           string   `json:"developer_id"`
	DeveloperBlacklisted  bool     `json:"developer_blacklisted"`
	AppStatus             string   `json:"app_status,omitempty"`
	AppReasonCodes        []string `json:"app_reason_codes"`
	SubmissionState       string   `json:"submission_state,omitempty"`
	SubmissionReasonCodes []string `json:"submission_reason_codes"`
}

// LinkStandings reads the standing of the given submissions (with their
// app and developer) and of the given developers, by submission ID and by
// developer ID. An app's reason codes are those of its current suspension;
// a submission's, those it was rejected with.
func (s *Store) LinkStandings(ctx context.Context, submissionIDs, developerIDs []string) (bySubmission, byDeveloper map[string]LinkStanding, err error) {
	bySubmission, byDeveloper = map[string]LinkStanding{}, map[string]LinkStanding{}
	rows, err := s.pool.Query(ctx, `
		SELECT s.id, s.app_id, a.name, s.developer_id, d.blacklisted, a.status,
			CASE WHEN a.status = 'suspended' THEN ARRAY(
				SELECT r->>'code' FROM jsonb_array_elements(COALESCE(a.suspension->'reasons', '[]')) r) ELSE '{}' END,
			s.state,
			CASE WHEN s.state = 'rejected' THEN ARRAY(
				SELECT r->>'code' FROM jsonb_array_elements(s.reasons) r) ELSE '{}' END
		FROM submissions s JOIN apps a ON a.id = s.app_id JOIN developers d ON d.id = s.developer_id
		WHERE s.id = ANY ($1)`, submissionIDs)
	if err != nil {
		return nil, nil, fmt.Errorf("standing of linked submissions: %w", err)
	}
	for _, err := range pgxRows(rows) {
		if err != nil {
			return nil, nil, fmt.Errorf("standing of linked submissions: %w", err)
		}
		var st LinkStanding
		if err := rows.Scan(&st.SubmissionID, &st.AppID, &st.AppName, &st.DeveloperID, &st.DeveloperBlacklisted, &st.AppStatus,
			&st.AppReasonCodes, &st.SubmissionState, &st.SubmissionReasonCodes); err != nil {
			return nil, nil, fmt.Errorf("standing of linked submissions: %w", err)
		}
		bySubmission[st.SubmissionID] = st
	}
	rows, err = s.pool.Query(ctx, `SELECT id, blacklisted FROM developers WHERE id = ANY ($1)`, developerIDs)
	if err != nil {
		return nil, nil, fmt.Errorf("standing of linked developers: %w", err)
	}
	for _, err := range pgxRows(rows) {
		if err != nil {
			return nil, nil, fmt.Errorf("standing of linked developers: %w", err)
		}
		st := LinkStanding{AppReasonCodes: []string{}, SubmissionReasonCodes: []string{}}
		if err := rows.Scan(&st.DeveloperID, &st.DeveloperBlacklisted); err != nil {
			return nil, nil, fmt.Errorf("standing of linked developers: %w", err)
		}
		byDeveloper[st.DeveloperID] = st
	}
	return bySubmission, byDeveloper, nil
}

// pgxRows ranges over rows, closing them at the end; the last value is
// the rows' error, if any.
func pgxRows(rows pgx.Rows) func(yield func(int, error) bool) {
	return func(yield func(int, error) bool) {
		defer rows.Close()
		i := 0
		for rows.Next() {
			if !yield(i, nil) {
				return
			}
			i++
		}
		if err := rows.Err(); err != nil {
			yield(i, err)
		}
	}
}
