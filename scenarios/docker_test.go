package scenarios

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minirocks/minirocks/harness"
)

// dockerDrills are the drill files of drills/ that TestDrills runs on
// processes and TestDrillsOnDocker runs again on containers: all of them
// but those that name the docker backend themselves.
func dockerDrills(t *testing.T) []string {
	files, err := filepath.Glob("drills/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		d, err := LoadDrill(f)
		if err != nil {
			t.Fatal(err)
		}
		if d.Cluster.Backend == "" {
			out = append(out, filepath.Base(f))
		}
	}
	return out
}

// TestDrillsOnDocker runs drill files with their nodes and MinIO in
// containers, and checks that no container or network of the run remains.
// Without a Docker engine it is skipped, unless CI=true.
func TestDrillsOnDocker(t *testing.T) {
	ctx := context.Background()
	b, err := harness.NewDockerBackend(ctx)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	defer func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
		if left := b.Remaining(ctx); left != "" {
			t.Errorf("left behind: %s", left)
		}
	}()
	bin := os.Getenv("MINIROCKS_BIN")
	if bin == "" {
		if bin, err = harness.ResolveBinary(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range dockerDrills(t) {
		t.Run(strings.TrimSuffix(f, ".yaml"), func(t *testing.T) {
			d, err := LoadDrill(filepath.Join("drills", f))
			if err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			res := RunDrill(ctx, d, DrillOptions{Dir: t.TempDir(), Binary: bin, Out: &out, Cluster: []harness.Option{harness.WithBackend(b)}})
			if res.Verdict != Pass {
				t.Fatalf("%s: %s %s\n%s\n%s", f, res.Verdict, res.Error, strings.Join(res.Failures, "\n"), out.String())
			}
			// The report lists the containers, without MinIO's credentials.
			ps, err := os.ReadFile(filepath.Join(filepath.Dir(res.ReportPath), "containers.txt"))
			if err != nil {
				t.Fatal(err)
			}
			// (a long cluster name is cut in container names, so match the node's suffix)
			for _, want := range []string{"# cluster " + d.Name + ": ", "-fe1 ", "-minio ", "minirocks/minio:", "(docker inspect)", "  command:    /minirocks fe --home ", "  mount:      "} {
				if !strings.Contains(string(ps), want) {
					t.Fatalf("containers.txt lacks %q:\n%s", want, ps)
				}
			}
			if strings.Contains(string(ps), "mrsecret-") {
				t.Fatalf("containers.txt holds MinIO's secret key")
			}
		})
	}
}

func TestDockerBackendField(t *testing.T) {
	_, err := ParseDrill("x.yaml", []byte("name: x\ncluster:\n  followers: 1\n  backend: podman\nsteps:\n  - sql: SELECT 1\n"))
	if err == nil || !strings.Contains(err.Error(), "x.yaml:4: cluster.backend:") {
		t.Fatalf("error %v, want x.yaml:4: cluster.backend: ...", err)
	}
	d, err := ParseDrill("x.yaml", []byte("name: x\ncluster:\n  backend: docker\nsteps:\n  - sql: SELECT 1\n"))
	if err != nil || d.Cluster.Backend != "docker" {
		t.Fatalf("%v %+v", err, d)
	}
}
