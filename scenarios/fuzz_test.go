package scenarios

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseDrill: any scenario file parses or is refused with an error
// naming the file, never a panic. The drills shipped are the seeds.
func FuzzParseDrill(f *testing.F) {
	files, _ := filepath.Glob("drills/*.yaml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("name: x\nsteps: [{sql: SELECT 1}]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseDrill("f.yaml", b)
	})
}
