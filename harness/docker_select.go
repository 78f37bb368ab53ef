package harness

import (
	"context"
	"fmt"
)

// BackendNames are the backends NewBackend knows, by name.
var BackendNames = []string{"process", "docker"}

// NewBackend returns the backend called name: "process" (or "") is
// ProcessBackend, "docker" a new DockerBackend, which fails at once
// without a Docker engine. closeFn releases what the backend holds (every
// container and network of a DockerBackend); call it after the last
// cluster on it is closed.
func NewBackend(ctx context.Context, name string) (b Backend, closeFn func() error, err error) {
	switch name {
	case "", "process":
		return ProcessBackend{}, func() error { return nil }, nil
	case "docker":
		d, err := NewDockerBackend(ctx)
		if err != nil {
			return nil, nil, err
		}
		return d, d.Close, nil
	}
	return nil, nil, fmt.Errorf("unknown backend %q: one of %v", name, BackendNames)
}
