// Package deploy lays out StarRocks-shaped install trees: DIR/fe and DIR/be
// with bin/ (start and stop scripts), conf/ (fe.conf, cn.conf with
// StarRocks' default ports), lib/ (the minirocks binary), meta/ or storage/,
// and log/. The scripts exec the binary, so an operator's runbook written
// for StarRocks (edit conf, start_fe.sh --daemon, --helper, clean meta dir)
// works on the tree literally.
package deploy

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Layout names the parts of an install tree rooted at Root.
type Layout struct {
	Root string
}

// FEHome is DIR/fe, the FE's STARROCKS_HOME.
func (l Layout) FEHome() string { return filepath.Join(l.Root, "fe") }

// BEHome is DIR/be, the compute node's STARROCKS_HOME.
func (l Layout) BEHome() string { return filepath.Join(l.Root, "be") }

// FEConf is the FE's fe.conf.
func (l Layout) FEConf() string { return filepath.Join(l.FEHome(), "conf", "fe.conf") }

// CNConf is the compute node's cn.conf.
func (l Layout) CNConf() string { return filepath.Join(l.BEHome(), "conf", "cn.conf") }

// FEMetaDir is the default meta_dir.
func (l Layout) FEMetaDir() string { return filepath.Join(l.FEHome(), "meta") }

// FEPidFile is where start_fe.sh records the FE's pid.
func (l Layout) FEPidFile() string { return filepath.Join(l.FEHome(), "bin", "fe.pid") }

// CNPidFile is where start_cn.sh records the CN's pid.
func (l Layout) CNPidFile() string { return filepath.Join(l.BEHome(), "bin", "cn.pid") }

// Options tunes Deploy.
type Options struct {
	// Binary is the minirocks executable to install (default: the running one).
	Binary string
	// FEConfExtra and CNConfExtra are appended to the generated conf files.
	FEConfExtra, CNConfExtra string
	// Overwrite upgrades an existing tree, as replacing bin/ and lib/ of a
	// StarRocks release does: new scripts and binary; conf files that exist
	// are kept, and meta and storage are never touched.
	Overwrite bool
}

// Deploy creates the install tree under dir. An existing tree is refused
// unless opts.Overwrite is set.
func Deploy(dir string, opts Options) (Layout, error) {
	l := Layout{Root: dir}
	bin := opts.Binary
	if bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return l, fmt.Errorf("find minirocks binary: %w", err)
		}
		bin = exe
	}
	if !opts.Overwrite {
		if _, err := os.Stat(l.FEConf()); err == nil {
			return l, fmt.Errorf("%s already holds an install tree (%s exists)", dir, l.FEConf())
		}
	}
	for _, d := range []string{
		"fe/bin", "fe/conf", "fe/lib", "fe/meta", "fe/log",
		"be/bin", "be/conf", "be/lib", "be/storage", "be/log",
	} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return l, fmt.Errorf("create %s: %w", d, err)
		}
	}
	files := []struct {
		path string
		body string
		mode os.FileMode
		conf bool // kept when it exists
	}{
		// The conf files may hold object storage secrets
		// (aws_s3_secret_key): only their owner reads them.
		{"fe/conf/fe.conf", feConf + opts.FEConfExtra, 0o600, true},
		{"fe/conf/cluster_snapshot.yaml", clusterSnapshotYAML, 0o600, true},
		{"be/conf/cn.conf", cnConf + opts.CNConfExtra, 0o600, true},
		{"fe/bin/start_fe.sh", startFE, 0o755, false},
		{"fe/bin/stop_fe.sh", stopScript("fe", "Frontend"), 0o755, false},
		{"be/bin/start_cn.sh", startCN, 0o755, false},
		{"be/bin/stop_cn.sh", stopScript("cn", "Compute node"), 0o755, false},
	}
	for _, f := range files {
		if f.conf {
			if _, err := os.Stat(filepath.Join(dir, f.path)); err == nil {
				continue
			}
		}
		if err := os.WriteFile(filepath.Join(dir, f.path), []byte(f.body), f.mode); err != nil {
			return l, fmt.Errorf("write %s: %w", f.path, err)
		}
	}
	for _, d := range []string{"fe/lib/minirocks", "be/lib/minirocks"} {
		if err := installBinary(bin, filepath.Join(dir, d)); err != nil {
			return l, err
		}
	}
	return l, nil
}

// installBinary hard-links src to dst when both are on one file system and
// copies it otherwise.
func installBinary(src, dst string) error {
	_ = os.Remove(dst)
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("install binary: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return fmt.Errorf("install binary: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("install binary: %w", err)
	}
	return out.Close()
}
