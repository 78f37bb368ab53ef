package harnesstest

import (
	"context"
	"os"
	"testing"

	"github.com/minirocks/minirocks/harness"
)

// Docker returns a DockerBackend for the test (harness.WithBackend(b)
// runs a cluster's nodes and MinIO in containers); the test's cleanup,
// registered before any cluster's, closes it and fails the test if a
// container or network of it remains. Without a Docker engine the test
// is skipped with the reason, unless CI=true, where it fails.
func Docker(t testing.TB) *harness.DockerBackend {
	t.Helper()
	b, err := harness.NewDockerBackend(context.Background())
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
		if left := b.Remaining(context.Background()); left != "" {
			t.Errorf("docker backend left behind: %s", left)
		}
	})
	return b
}
