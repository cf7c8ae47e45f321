package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
)

// runPolicyReplay asks the API to re-evaluate a submission's recorded
// input under the bundle that decided it. Exit 3 when the outcome differs.
func runPolicyReplay(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("policy replay", "policy replay [--server URL] [--token T] SUBMISSION_ID")
	server, token := clientFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return &exitError{code: 2, msg: "policy replay needs one submission ID"}
	}
	c, err := newAPIClient(*server, *token)
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.server+"/v1/submissions/"+fs.Arg(0)+"/evaluation/replay", nil)
	if err != nil {
		return err
	}
	var ans struct {
		Same bool `json:"same"`
	}
	var raw json.RawMessage
	if err := c.do(req, &raw); err != nil {
		return err
	}
	if err := json.Unmarshal(raw, &ans); err != nil {
		return err
	}
	if err := writeJSON(stdout, raw); err != nil {
		return err
	}
	if !ans.Same {
		return &exitError{code: 3, msg: "the replay decided differently from the recorded decision"}
	}
	return nil
}
