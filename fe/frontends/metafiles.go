package frontends

import (
	"fmt"
	"os"
	"path/filepath"
)

// ReadMetaImageFiles returns the contents of the meta dir's VERSION and
// ROLE files by name: what a cluster snapshot carries next to the image.
func ReadMetaImageFiles(metaDir string) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, name := range []string{versionFile, roleFile} {
		b, err := os.ReadFile(filepath.Join(metaDir, name))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		out[name] = b
	}
	return out, nil
}
