package meta

import (
	"fmt"

	"github.com/minirocks/minirocks/fe/journal"
)

// LoadImage reads the image file at path (its checksum verified) into a new
// State: the catalog and StarManager exactly as of the image's journal ids.
// Snapshots use it to learn what an image refers to without touching the
// running FE's state.
func LoadImage(path string) (*State, journal.ImageHeader, error) {
	h, body, err := journal.OpenImage(path)
	if err != nil {
		return nil, journal.ImageHeader{}, err
	}
	defer body.Close()
	st := NewState()
	if err := st.Restore(h, body); err != nil {
		return nil, journal.ImageHeader{}, fmt.Errorf("load image %s: %w", path, err)
	}
	return st, h, nil
}
