// Package policies holds the platform's gating rules and the engine that runs
// them: the default Rego bundle (embedded), compilation under restricted
// capabilities, the submission decision, and the bundle's own Rego tests.
//
// A bundle is compiled and prepared once per version; every decision after
// that reuses the prepared query. Errors never approve a submission: Decide
// sends it to senior review instead.
package policies
