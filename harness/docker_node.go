package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	tc "github.com/testcontainers/testcontainers-go"

	"github.com/minirocks/minirocks/deploy"
)

// dockerRun is one container of a node or MinIO: created on start, on
// its cluster's network at a fixed address, with the node's dir
// bind-mounted at the same path.
type dockerRun struct {
	b       *DockerBackend
	cluster string
	name    string // container name and hostname
	net     *dockerNetwork
	addr    netip.Addr
	dir     string // bind-mounted at the same path
	outFile string // ended containers' output is appended here ("" keeps none)

	mu       sync.Mutex
	id       string // current container, "" before the first start
	exited   chan struct{}
	exitCode int
	closed   bool
}

// containerSpec is what a start runs.
type containerSpec struct {
	image string
	cmd   []string
	env   map[string]string
	// binary and name make image again should it have been removed
	// meanwhile: it is never pulled.
	binary, name string
}

// start creates and starts a new container for spec; a previous
// container of this run (ended) has its output saved and is removed first.
func (r *dockerRun) start(ctx context.Context, spec containerSpec) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return fmt.Errorf("%s is closed", r.name)
	}
	if r.runningLocked() {
		return fmt.Errorf("%s is already running", r.name)
	}
	if r.id != "" {
		r.retireLocked(ctx)
	}
	if err := os.MkdirAll(filepath.Join(r.dir, "tmp"), 0o755); err != nil {
		return fmt.Errorf("docker backend: %w", err)
	}
	if r.outFile != "" { // as a start script's redirection makes it
		f, err := os.OpenFile(r.outFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("docker backend: %w", err)
		}
		f.Close()
	}
	env := map[string]string{"TMPDIR": filepath.Join(r.dir, "tmp"), "HOME": r.dir}
	for k, v := range spec.env {
		env[k] = v
	}
	if _, err := r.b.cli.ImageInspect(ctx, spec.image); err != nil {
		r.b.forgetImage(spec.image)
		if spec.image, err = r.b.image(ctx, spec.binary, spec.name); err != nil {
			return err
		}
	}
	netName, addr, hostname := r.net.name, r.addr, r.name
	req := tc.GenericContainerRequest{
		ContainerRequest: tc.ContainerRequest{
			Image:    spec.image,
			Name:     r.name,
			Cmd:      spec.cmd,
			Env:      env,
			Labels:   r.b.labels(r.cluster),
			Networks: []string{netName},
			ConfigModifier: func(c *container.Config) {
				c.Hostname = hostname
				c.User = fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid())
			},
			HostConfigModifier: func(h *container.HostConfig) {
				h.Binds = append(h.Binds, r.dir+":"+r.dir)
			},
			EndpointSettingsModifier: func(m map[string]*network.EndpointSettings) {
				es := m[netName]
				if es == nil {
					es = &network.EndpointSettings{}
					m[netName] = es
				}
				es.IPAMConfig = &network.EndpointIPAMConfig{IPv4Address: addr}
			},
		},
		Started: true,
		Logger:  silentLogger{},
	}
	c, err := tc.GenericContainer(ctx, req)
	if c != nil {
		r.id = c.GetContainerID()
	}
	if err != nil {
		if r.id != "" {
			r.retireLocked(ctx)
		}
		return fmt.Errorf("docker backend: start %s: %w", r.name, err)
	}
	r.watchLocked()
	return nil
}

// restart starts the current container again (same command).
func (r *dockerRun) restart(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.runningLocked() {
		return fmt.Errorf("%s is already running", r.name)
	}
	if _, err := r.b.cli.ContainerStart(ctx, r.id, client.ContainerStartOptions{}); err != nil {
		return fmt.Errorf("docker backend: start %s again: %w", r.name, err)
	}
	r.watchLocked()
	return nil
}

// watchLocked records when the current container ends.
func (r *dockerRun) watchLocked() {
	exited := make(chan struct{})
	r.exited = exited
	id := r.id
	go func() {
		w := r.b.cli.ContainerWait(context.Background(), id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
		code := -1
		select {
		case res := <-w.Result:
			code = int(res.StatusCode)
			if code > 128 && code <= 128+64 {
				code = -1 // ended by a signal, as os.ProcessState reports it
			}
		case <-w.Error:
		}
		r.mu.Lock()
		if r.exited == exited {
			r.exitCode = code
		}
		r.mu.Unlock()
		close(exited)
	}()
}

func (r *dockerRun) runningLocked() bool {
	if r.exited == nil {
		return false
	}
	select {
	case <-r.exited:
		return false
	default:
		return true
	}
}

func (r *dockerRun) running() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.runningLocked()
}

// wait waits until the current container ends and returns its exit code.
func (r *dockerRun) wait(ctx context.Context) (int, error) {
	r.mu.Lock()
	exited := r.exited
	r.mu.Unlock()
	if exited == nil {
		return 0, fmt.Errorf("%s was never started", r.name)
	}
	select {
	case <-exited:
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.exitCode, nil
	case <-ctx.Done():
		return 0, fmt.Errorf("%s still running: %w", r.name, ctx.Err())
	}
}

// signal maps the process signals onto the container: SIGKILL is docker
// kill, SIGTERM docker stop (a minute's grace), SIGSTOP and SIGCONT docker
// pause and unpause. Kill and stop wait until the container has ended.
func (r *dockerRun) signal(sig syscall.Signal) error {
	r.mu.Lock()
	id, exited := r.id, r.exited
	running := r.runningLocked()
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	switch sig {
	case syscall.SIGSTOP, syscall.SIGCONT:
		if !running {
			return fmt.Errorf("%s is not running", r.name)
		}
		var err error
		if sig == syscall.SIGSTOP {
			_, err = r.b.cli.ContainerPause(ctx, id, client.ContainerPauseOptions{})
		} else {
			_, err = r.b.cli.ContainerUnpause(ctx, id, client.ContainerUnpauseOptions{})
		}
		if err != nil {
			return fmt.Errorf("docker backend: %s %s: %w", map[bool]string{true: "pause", false: "unpause"}[sig == syscall.SIGSTOP], r.name, err)
		}
		return nil
	}
	if !running {
		return nil
	}
	if ins, err := r.b.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{}); err == nil && ins.Container.State != nil && ins.Container.State.Paused {
		_, _ = r.b.cli.ContainerUnpause(ctx, id, client.ContainerUnpauseOptions{})
	}
	var err error
	if sig == syscall.SIGKILL {
		_, err = r.b.cli.ContainerKill(ctx, id, client.ContainerKillOptions{Signal: "KILL"})
	} else {
		grace := 60
		_, err = r.b.cli.ContainerStop(ctx, id, client.ContainerStopOptions{Timeout: &grace})
	}
	if err != nil && !isNotFound(err) && !strings.Contains(err.Error(), "is not running") {
		return fmt.Errorf("docker backend: signal %s with %s: %w", r.name, sig, err)
	}
	select {
	case <-exited:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("docker backend: %s did not end: %w", r.name, ctx.Err())
	}
}

// logs returns the output of the current container.
func (r *dockerRun) logs(ctx context.Context, tail string) []byte {
	r.mu.Lock()
	id := r.id
	r.mu.Unlock()
	if id == "" {
		return nil
	}
	return r.containerLogs(ctx, id, tail)
}

func (r *dockerRun) containerLogs(ctx context.Context, id, tail string) []byte {
	rc, err := r.b.cli.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Tail: tail})
	if err != nil {
		return nil
	}
	defer rc.Close()
	var buf bytes.Buffer
	_, _ = stdcopy.StdCopy(&buf, &buf, rc)
	return buf.Bytes()
}

// retireLocked saves the current container's output to outFile and
// removes it.
func (r *dockerRun) retireLocked(ctx context.Context) {
	if r.outFile != "" {
		if out := r.containerLogs(ctx, r.id, ""); len(out) > 0 {
			if f, err := os.OpenFile(r.outFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err == nil {
				f.Write(out)
				f.Close()
			}
		}
	}
	_, _ = r.b.cli.ContainerRemove(ctx, r.id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	r.id, r.exited = "", nil
}

// close kills and removes the container and gives the network address back.
func (r *dockerRun) close() error {
	err := r.signal(syscall.SIGKILL)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return err
	}
	r.closed = true
	if r.id != "" {
		r.retireLocked(ctx)
	}
	r.mu.Unlock()
	return errors.Join(err, r.b.release(ctx, r.cluster))
}

// dockerNode is an FE or CN in a container; its install tree is laid out
// by package deploy under NodeSpec.Dir, as the process backend does.
type dockerNode struct {
	run    *dockerRun
	spec   NodeSpec
	fe     bool
	layout deploy.Layout
	helper string
	image  string
}

// NewFE builds (or reuses) the node image, takes an address on the
// cluster's network, deploys an install tree in spec.Dir and writes
// fe.conf: priority_networks for the address, then spec.Conf.
func (b *DockerBackend) NewFE(ctx context.Context, spec FESpec) (Node, error) {
	return b.newNode(ctx, spec.NodeSpec, true, spec.Helper, spec.Conf)
}

// NewCN is NewFE for a compute node (cn.conf).
func (b *DockerBackend) NewCN(ctx context.Context, spec CNSpec) (Node, error) {
	return b.newNode(ctx, spec.NodeSpec, false, "", spec.Conf)
}

func (b *DockerBackend) newNode(ctx context.Context, spec NodeSpec, fe bool, helper, conf string) (*dockerNode, error) {
	if spec.Dir == "" || spec.Binary == "" {
		return nil, errors.New("docker backend: a node needs a dir and a binary")
	}
	image, err := b.image(ctx, spec.Binary, "minirocks")
	if err != nil {
		return nil, err
	}
	nw, addr, err := b.network(ctx, spec.Cluster)
	if err != nil {
		return nil, err
	}
	run := &dockerRun{b: b, cluster: spec.Cluster, name: b.containerName(spec.Cluster, spec.Name), net: nw, addr: addr, dir: spec.Dir}
	conf = fmt.Sprintf("\npriority_networks = %s/32\n", addr) + conf
	dopts := deploy.Options{Binary: spec.Binary}
	if fe {
		dopts.FEConfExtra = conf
	} else {
		dopts.CNConfExtra = conf
	}
	l, err := deploy.Deploy(spec.Dir, dopts)
	if err != nil {
		_ = b.release(ctx, spec.Cluster)
		return nil, fmt.Errorf("deploy %s: %w", spec.Name, err)
	}
	n := &dockerNode{run: run, spec: spec, fe: fe, layout: l, helper: helper, image: image}
	run.outFile = filepath.Join(n.home(), "log", n.LogNames()[0])
	return n, nil
}

// Name implements Node.
func (n *dockerNode) Name() string { return n.spec.Name }

// Host implements Node: the container's address on its cluster's network.
func (n *dockerNode) Host() string { return n.run.addr.String() }

// Addr implements Node: the container's address, which the host routes to.
func (n *dockerNode) Addr(port int) string { return n.Host() + ":" + strconv.Itoa(port) }

func (n *dockerNode) home() string {
	if n.fe {
		return n.layout.FEHome()
	}
	return n.layout.BEHome()
}

// Start implements Node: a new container running the node in the
// foreground, as start_fe.sh / start_cn.sh exec it.
func (n *dockerNode) Start(ctx context.Context, opts StartOptions) error {
	role := "cn"
	var args []string
	if n.fe {
		role = "fe"
		helper := opts.Helper
		if helper == "" && !opts.ClusterSnapshot {
			helper = n.helper
		}
		if helper != "" {
			args = append(args, "--helper", helper)
		}
		if opts.ClusterSnapshot {
			args = append(args, "--cluster_snapshot")
		}
	}
	env := map[string]string{"STARROCKS_HOME": n.home()}
	for _, kv := range opts.Env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	cmd := append([]string{role, "--home", n.home()}, args...)
	return n.run.start(ctx, containerSpec{image: n.image, cmd: cmd, env: env, binary: n.spec.Binary, name: "minirocks"})
}

// Kill, Stop, Pause and Resume implement Node with docker kill, docker
// stop, docker pause and docker unpause.
func (n *dockerNode) Kill() error   { return n.run.signal(syscall.SIGKILL) }
func (n *dockerNode) Stop() error   { return n.run.signal(syscall.SIGTERM) }
func (n *dockerNode) Pause() error  { return n.run.signal(syscall.SIGSTOP) }
func (n *dockerNode) Resume() error { return n.run.signal(syscall.SIGCONT) }

// Running implements Node.
func (n *dockerNode) Running() bool { return n.run.running() }

// Wait implements Node.
func (n *dockerNode) Wait(ctx context.Context) (int, error) { return n.run.wait(ctx) }

// Wipe implements Node on the bind-mounted install tree.
func (n *dockerNode) Wipe() error {
	if n.Running() {
		return fmt.Errorf("%s is running; stop or kill it before wiping", n.spec.Name)
	}
	if n.fe {
		return os.RemoveAll(n.layout.FEMetaDir())
	}
	return os.RemoveAll(filepath.Join(n.layout.BEHome(), "storage"))
}

// WriteFile implements Node on the bind-mounted install tree.
func (n *dockerNode) WriteFile(rel string, data []byte) error {
	return writeTreeFile(n.home(), rel, data)
}

// ListDir implements Node on the bind-mounted install tree.
func (n *dockerNode) ListDir(rel string) ([]string, error) { return listTreeDir(n.home(), rel) }

// LogNames implements Node: the container's output (earlier containers'
// saved in the log dir) and the node's own log.
func (n *dockerNode) LogNames() []string {
	if n.fe {
		return []string{"fe.out", "fe.log"}
	}
	return []string{"cn.out", "cn.log"}
}

// ReadLog implements Node; the .out log ends with the current
// container's output.
func (n *dockerNode) ReadLog(name string) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(n.home(), "log", filepath.Base(name)))
	if name == n.LogNames()[0] {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if live := n.run.logs(ctx, ""); len(live) > 0 {
			return append(data, live...), nil
		}
	}
	return data, err
}

// Close implements Node: the container is killed and removed, its output
// kept in the log dir.
func (n *dockerNode) Close() error { return n.run.close() }

// dockerMinIO runs a cluster's MinIO in a container (minioRunner).
type dockerMinIO struct {
	run       *dockerRun
	cluster   string
	container string
	image     string
}

// NewMinIO implements MinIOBackend: a MinIO container on the cluster's
// network with its drive under spec.Dir. The nodes reach it by its
// container name, on their own cluster's network too when a cluster of
// this backend restores from it.
func (b *DockerBackend) NewMinIO(ctx context.Context, spec NodeSpec) (*MinIO, error) {
	binary := spec.Binary
	if binary == "" {
		var err error
		if binary, err = MinIOBinary(); err != nil {
			return nil, err
		}
	}
	image, err := b.image(ctx, binary, "minio")
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(spec.Dir)
	if err != nil {
		return nil, err
	}
	for _, d := range []string{"data", "certs"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("MinIO dir: %w", err)
		}
	}
	nw, addr, err := b.network(ctx, spec.Cluster)
	if err != nil {
		return nil, err
	}
	name := b.containerName(spec.Cluster, "minio")
	dm := &dockerMinIO{cluster: spec.Cluster, container: name, image: image,
		run: &dockerRun{b: b, cluster: spec.Cluster, name: name, net: nw, addr: addr, dir: dir}}
	b.mu.Lock()
	b.minios[dm] = true
	b.mu.Unlock()
	return &MinIO{
		Endpoint:     addr.String() + ":" + strconv.Itoa(minioPort),
		Host:         addr.String(),
		NodeEndpoint: name + ":" + strconv.Itoa(minioPort),
		AccessKey:    "minirocks-" + minioRandomHex(4),
		SecretKey:    "mrsecret-" + minioRandomHex(16),
		Dir:          dir,
		Binary:       binary,
		runner:       dm,
	}, nil
}

func (d *dockerMinIO) start(ctx context.Context, m *MinIO) (<-chan struct{}, error) {
	d.run.mu.Lock()
	created := d.run.id != ""
	d.run.mu.Unlock()
	var err error
	if created {
		err = d.run.restart(ctx)
	} else {
		err = d.run.start(ctx, containerSpec{image: d.image, binary: m.Binary, name: "minio",
			cmd: []string{"server", "--address", ":" + strconv.Itoa(minioPort), "--quiet", "--certs-dir", filepath.Join(m.Dir, "certs"), filepath.Join(m.Dir, "data")},
			env: map[string]string{
				"MINIO_ROOT_USER":     m.AccessKey,
				"MINIO_ROOT_PASSWORD": m.SecretKey,
				"MINIO_CI_CD":         "1",
				"MINIO_BROWSER":       "off",
				"MINIO_UPDATE":        "off",
				"MINIO_SITE_REGION":   MinIORegion,
			}})
	}
	if err != nil {
		return nil, err
	}
	d.run.mu.Lock()
	defer d.run.mu.Unlock()
	return d.run.exited, nil
}

func (d *dockerMinIO) signal(sig syscall.Signal) error { return d.run.signal(sig) }
func (d *dockerMinIO) running() bool                   { return d.run.running() }

func (d *dockerMinIO) logTail(n int) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return "--- minio container ---\n" + string(d.run.logs(ctx, strconv.Itoa(n)))
}

func (d *dockerMinIO) close() {
	d.run.b.mu.Lock()
	delete(d.run.b.minios, d)
	d.run.b.mu.Unlock()
	_ = d.run.close()
}
