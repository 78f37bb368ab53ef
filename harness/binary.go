package harness

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
)

// ModulePath is the module the harness belongs to and builds its binary from.
const ModulePath = "github.com/minirocks/minirocks"

// ResolveBinary returns the minirocks executable a cluster runs when
// WithBinary is not given: $MINIROCKS_BIN when it names a file (make test
// builds one first), otherwise one built from this module's sources.
//
// The build is cached, never left in a temp dir: it lives at
// <os.UserCacheDir()>/minirocks/bin-<hash>/minirocks, where hash covers the
// module's non-test Go sources, go.mod and go.sum, so any change to them
// gives a new build and an unchanged tree reuses the old one across test
// runs and processes (a file lock keeps concurrent builders to one). The
// build runs `go build -o <cache> github.com/minirocks/minirocks/cmd/minirocks`
// in the module root, which works when the module is a read-only
// dependency in the module cache too. Old builds may be deleted at will.
func ResolveBinary(ctx context.Context) (string, error) {
	if p := os.Getenv("MINIROCKS_BIN"); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	root, err := ModuleRoot(ctx)
	if err != nil {
		return "", err
	}
	sum, err := sourceHash(root)
	if err != nil {
		return "", fmt.Errorf("hash the module's sources: %w", err)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory for the minirocks build: %w", err)
	}
	dir := filepath.Join(cache, "minirocks", "bin-"+sum[:16])
	out := filepath.Join(dir, "minirocks")
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(out); err == nil {
		return out, nil // another builder finished while we waited
	}
	tmp := out + ".building"
	cmd := exec.CommandContext(ctx, "go", "build", "-o", tmp, ModulePath+"/cmd/minirocks")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("go build %s/cmd/minirocks in %s: %v\n%s", ModulePath, root, err, b)
	}
	if err := os.Rename(tmp, out); err != nil {
		return "", err
	}
	return out, nil
}

// ModuleRoot is the directory holding this module's go.mod: found from
// this source file's path, else (a build with -trimpath) through
// `go list -m`.
func ModuleRoot(ctx context.Context) (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok {
		root := filepath.Dir(filepath.Dir(file))
		if data, err := os.ReadFile(filepath.Join(root, "go.mod")); err == nil && strings.Contains(string(data), "module "+ModulePath+"\n") {
			return root, nil
		}
	}
	out, err := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", ModulePath).Output()
	if err != nil {
		return "", fmt.Errorf("find module %s: go list -m: %w", ModulePath, err)
	}
	root := strings.TrimSpace(string(out))
	if root == "" {
		return "", fmt.Errorf("module %s has no directory (not downloaded?)", ModulePath)
	}
	return root, nil
}

// sourceHash hashes what the binary is built from: every non-test .go
// file outside hidden, testdata and bin directories, plus go.mod and go.sum.
func sourceHash(root string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		if !(strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go")) && name != "go.mod" && name != "go.sum" {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		fmt.Fprintf(h, "%s\x00", filepath.ToSlash(rel))
		if _, err := io.Copy(h, f); err != nil {
			return err
		}
		h.Write([]byte{0})
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
