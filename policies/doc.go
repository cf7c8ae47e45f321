// Package policies holds the platform's gating rules and the engine that runs
// them: the default Rego bundle (embedded), compilation under restricted
// capabilities, the submission decision, explanations of a decision for
// replays, the catalogue that puts reasons into English or Chinese, and the
// bundle's own Rego tests.
//
// A bundle is compiled and prepared once per version; every decision after
// that reuses the prepared query. Errors never approve a submission: Decide
// sends it to senior review instead, and so does an evaluation that runs
// past the engine's timeout.
package policies
