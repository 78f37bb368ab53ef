// Package harness starts minirocks clusters for tests and drills: real
// processes on their own loopback hosts, laid out as StarRocks install
// trees, with the means to kill, restart and inspect every node.
package harness

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// binaryOnce builds the minirocks binary at most once per test process.
type binaryCache struct {
	once sync.Once
	path string
	err  error
}

var builtBinary binaryCache

// Binary returns the minirocks executable tests run: $MINIROCKS_BIN when
// set (make test builds it first), otherwise one built from this module
// into a temporary directory, once per process.
func Binary(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("MINIROCKS_BIN"); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	builtBinary.once.Do(func() {
		dir, err := os.MkdirTemp("", "minirocks-bin-")
		if err != nil {
			builtBinary.err = err
			return
		}
		out := filepath.Join(dir, "minirocks")
		cmd := exec.Command("go", "build", "-o", out, "./cmd/minirocks")
		cmd.Dir = moduleRoot()
		if b, err := cmd.CombinedOutput(); err != nil {
			builtBinary.err = fmt.Errorf("go build: %v\n%s", err, b)
			return
		}
		builtBinary.path = out
	})
	if builtBinary.err != nil {
		tb.Fatalf("build minirocks: %v", builtBinary.err)
	}
	return builtBinary.path
}

// moduleRoot is the directory holding go.mod, found from this file.
func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}
