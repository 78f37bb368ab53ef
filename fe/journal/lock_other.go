//go:build !unix

package journal

import (
	"errors"
	"os"
)

func lockMetaDir(dir string) (*os.File, error) {
	return nil, errors.New("journal: meta dir locking is only supported on unix")
}

func unlockMetaDir(f *os.File) error { return nil }
