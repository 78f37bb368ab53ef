package scenarios

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/minirocks/minirocks/harness"
)

// writeEvidence writes, for a drill that did not pass, what a person
// would look at next to the logs: bucket.txt lists every object of the
// volume (and of its copy, after copy_volume) with size and time, and
// meta.txt the meta dirs of every FE of each cluster. It runs while the
// clusters still exist; what it cannot read it says so in the file.
func (r *drillRun) writeEvidence(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var bucket, meta strings.Builder
	locations := []string{""}
	if r.copyLoc != "" {
		locations = append(locations, r.copyLoc)
	}
	for _, loc := range locations {
		name := loc
		if name == "" {
			name = r.lost.Location()
		}
		objs, err := r.lost.ListObjects(ctx, loc)
		fmt.Fprintf(&bucket, "# %s: %d objects\n", name, len(objs))
		var total int64
		for _, o := range objs {
			total += o.Size
			fmt.Fprintf(&bucket, "%s  %12d  %s\n", o.LastModified.UTC().Format("2006-01-02T15:04:05.000Z"), o.Size, o.Key)
		}
		fmt.Fprintf(&bucket, "# %d bytes in all\n", total)
		if err != nil {
			fmt.Fprintf(&bucket, "# listing stopped: %v\n", err)
		}
	}
	clusters := []*harness.Cluster{r.lost}
	if r.restored != nil && r.restored != r.lost {
		clusters = append(clusters, r.restored)
	}
	for _, c := range clusters {
		for _, fe := range c.FEs() {
			names, err := fe.MetaListing()
			fmt.Fprintf(&meta, "# %s %s (%s)\n", c.Name(), fe.Name(), fe.Host())
			for _, n := range names {
				fmt.Fprintln(&meta, n)
			}
			if err != nil {
				fmt.Fprintf(&meta, "# %v\n", err)
			}
		}
	}
	for name, text := range map[string]string{"bucket.txt": bucket.String(), "meta.txt": meta.String()} {
		if err := os.WriteFile(filepath.Join(r.dir, name), []byte(text), 0o644); err != nil {
			fmt.Fprintf(r.opts.Out, "evidence: %v\n", err)
		}
	}
	r.evidence = true
}

// writeContainers writes containers.txt on the docker backend: every
// container of the drill's clusters as `docker ps -a` shows it (name,
// image, state, status, addresses; no environment, which holds MinIO's
// credentials). The containers' output is in each node's log dir.
func (r *drillRun) writeContainers(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var b strings.Builder
	for _, c := range r.clusters() {
		d, ok := c.Backend().(*harness.DockerBackend)
		if !ok {
			return
		}
		cs, err := d.Containers(ctx, c.Name())
		fmt.Fprintf(&b, "# cluster %s: %d containers (run %s)\n", c.Name(), len(cs), d.Run())
		for _, s := range cs {
			fmt.Fprintf(&b, "%-48s %-9s %-28s %-18s %s\n", s.Name, s.State, s.Status, strings.Join(s.Addresses, ","), s.Image)
		}
		for _, s := range cs {
			fmt.Fprintf(&b, "\n## %s (docker inspect)\n", s.Name)
			fmt.Fprintf(&b, "  hostname:   %s\n", s.Hostname)
			fmt.Fprintf(&b, "  command:    %s\n", strings.Join(s.Command, " "))
			fmt.Fprintf(&b, "  started:    %s\n", s.StartedAt)
			if s.State != "running" && s.State != "paused" {
				fmt.Fprintf(&b, "  finished:   %s (exit code %d, OOM killed %t)\n", s.FinishedAt, s.ExitCode, s.OOMKilled)
			}
			fmt.Fprintf(&b, "  restarts:   %d\n", s.RestartCount)
			for _, m := range s.Mounts {
				fmt.Fprintf(&b, "  mount:      %s\n", m)
			}
		}
		if err != nil {
			fmt.Fprintf(&b, "# %v\n", err)
		}
	}
	if err := os.WriteFile(filepath.Join(r.dir, "containers.txt"), []byte(b.String()), 0o644); err != nil {
		fmt.Fprintf(r.opts.Out, "containers: %v\n", err)
		return
	}
	r.containers = true
}

// clusters are the drill's clusters: the one launched and the restored
// ones still open.
func (r *drillRun) clusters() []*harness.Cluster {
	out := []*harness.Cluster{r.lost}
	if r.restored != nil && r.restored != r.lost {
		out = append(out, r.restored)
	}
	return out
}

// passwordLiteral matches the password literals of user statements:
// IDENTIFIED BY [PASSWORD] '...', SET PASSWORD ... = [PASSWORD(]'...'.
var passwordLiteral = regexp.MustCompile(`(?i)(IDENTIFIED\s+(?:WITH\s+\S+\s+)?(?:BY|AS)\s+(?:PASSWORD\s+)?|SET\s+PASSWORD\b[^=]*=\s*(?:PASSWORD\s*\(\s*)?)'(?:[^'\\]|\\.|'')*'`)

// redactSQL hides the passwords of a statement shown in a drill's output,
// timeline and reports, as StarRocks' audit log does.
func redactSQL(q string) string {
	return passwordLiteral.ReplaceAllString(q, "$1'***'")
}
