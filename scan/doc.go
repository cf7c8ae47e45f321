// Package scan is the static scanning engine of the review platform: it reads
// the zip of a WeChat or Alipay mini-program and returns findings, each tied
// to a rule with a stable ID, so that policies can decide on a submission and
// a developer can see which file to fix.
//
// The package is a plain library: no Temporal, no database, no disk writes.
// Every archive is treated as hostile. The reader never trusts the sizes a
// zip declares, reads entries into memory only under Limits, and reports a
// broken or malicious archive as critical PKG findings instead of failing, so
// the submission is rejected with a reason rather than retried. Scan returns
// an error only for faults on our side: a cancelled context or a failing
// reader.
//
// Rules are grouped in families by ID prefix (PKG, MAN, ...). A family is one
// file declaring its rules with register and one check function listed in
// checks; Rules lists them all for documentation and for the reviewer UI.
package scan
