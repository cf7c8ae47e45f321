package scan

// Limits bound what a scan reads and what a package may weigh. Zero (or
// negative) fields take the defaults of DefaultLimits for the platform.
type Limits struct {
	// MaxEntries is the most zip entries read before the archive is refused.
	MaxEntries int
	// MaxUnpackedBytes caps the decompressed bytes read from the whole
	// archive; it is what bounds a scan's memory.
	MaxUnpackedBytes int64
	// MaxFileBytes caps the decompressed bytes of one entry.
	MaxFileBytes int64
	// MaxCompressionRatio is the highest decompressed/compressed ratio an
	// entry may have once it is larger than ratioFloor.
	MaxCompressionRatio float64
	// MainPackageBytes, SubPackageBytes and TotalBytes are the platform's
	// code package limits, measured on the files as submitted.
	MainPackageBytes int64
	SubPackageBytes  int64
	TotalBytes       int64
}

const mb = 1 << 20

// ratioFloor keeps the compression-ratio rule off small, very repetitive
// files (padding, blank lines): a high ratio only matters when it inflates
// into something big.
const ratioFloor = 1 * mb

// platformSizes are the code package limits each platform publishes. Alipay
// changes its numbers more often than WeChat; they are a table here so a
// change is one line, and callers can override them through Options.Limits.
var platformSizes = map[Platform]Limits{
	PlatformWeChat: {MainPackageBytes: 2 * mb, SubPackageBytes: 2 * mb, TotalBytes: 20 * mb},
	PlatformAlipay: {MainPackageBytes: 2 * mb, SubPackageBytes: 2 * mb, TotalBytes: 20 * mb},
}

// DefaultLimits returns the limits used for a platform. An unknown platform
// gets WeChat's package sizes, the stricter-documented of the two.
func DefaultLimits(p Platform) Limits {
	sizes, ok := platformSizes[p]
	if !ok {
		sizes = platformSizes[PlatformWeChat]
	}
	return Limits{
		MaxEntries:          5000,
		MaxUnpackedBytes:    64 * mb,
		MaxFileBytes:        16 * mb,
		MaxCompressionRatio: 100,
		MainPackageBytes:    sizes.MainPackageBytes,
		SubPackageBytes:     sizes.SubPackageBytes,
		TotalBytes:          sizes.TotalBytes,
	}
}

// withDefaults fills unset fields from DefaultLimits(p).
func (l Limits) withDefaults(p Platform) Limits {
	d := DefaultLimits(p)
	if l.MaxEntries <= 0 {
		l.MaxEntries = d.MaxEntries
	}
	if l.MaxUnpackedBytes <= 0 {
		l.MaxUnpackedBytes = d.MaxUnpackedBytes
	}
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = d.MaxFileBytes
	}
	if l.MaxCompressionRatio <= 0 {
		l.MaxCompressionRatio = d.MaxCompressionRatio
	}
	if l.MainPackageBytes <= 0 {
		l.MainPackageBytes = d.MainPackageBytes
	}
	if l.SubPackageBytes <= 0 {
		l.SubPackageBytes = d.SubPackageBytes
	}
	if l.TotalBytes <= 0 {
		l.TotalBytes = d.TotalBytes
	}
	return l
}
