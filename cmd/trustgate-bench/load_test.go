package main

import "testing"

func TestLoadRunsOnlyAgainstLoopback(t *testing.T) {
	t.Parallel()
	cases := []struct {
		server string
		ok     bool
	}{
		{"http://127.0.0.1:8080", true},
		{"http://[::1]:8080", true},
		{"http://localhost:8080", true},
		{"http://10.0.0.7:8080", false},
		{"https://192.0.2.1", false},
		{"not a url", false},
	}
	for _, c := range cases {
		t.Run(c.server, func(t *testing.T) {
			t.Parallel()
			if err := loopbackOnly(c.server); (err == nil) != c.ok {
				t.Fatalf("loopbackOnly(%q) = %v, want ok=%v", c.server, err, c.ok)
			}
		})
	}
}
