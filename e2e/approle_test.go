package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"trustgate/internal/testenv"
)

// serve and worker connected as the owner of the schema (DATABASE_OWNER_URL
// left unset, DATABASE_URL naming the owner) refuse to start, with a
// message that says why and what to set, and a non-zero exit.
func TestServeAndWorkerRefuseTheOwnerRole(t *testing.T) {
	t.Parallel()
	bin, db := trustgateBinary(t), testenv.NewDB(t)
	for _, cmdName := range []string{"serve", "worker"} {
		t.Run(cmdName, func(t *testing.T) {
			// The deadline only ends a process that started anyway.
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, cmdName)
			cmd.Env = append(os.Environ(), "DATABASE_URL="+db.OwnerURL, "DATABASE_OWNER_URL=",
				"TEMPORAL_ADDRESS="+os.Getenv(testenv.EnvTemporalAddress), "TEMPORAL_TASK_QUEUE="+testenv.TaskQueue(t),
				"BLOB_URL=file://"+filepath.ToSlash(t.TempDir()), "TRUSTGATE_HTTP_ADDR=127.0.0.1:0",
				"TRUSTGATE_METRICS_ADDR=", "LOG_LEVEL=warn", "TRUSTGATE_LINK_KEY="+testLinkKey)
			out, err := cmd.CombinedOutput()
			require.NoError(t, ctx.Err(), "%s started as the owner; output:\n%s", cmdName, out)
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "output:\n%s", out)
			require.NotZero(t, exit.ExitCode())
			require.Contains(t, string(out), "refusing to start "+cmdName)
			require.Contains(t, string(out), "audit_log (owner)")
			require.Contains(t, string(out), "DATABASE_OWNER_URL")
		})
	}
}
