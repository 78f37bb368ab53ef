package harness

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	tc "github.com/testcontainers/testcontainers-go"
	tcnetwork "github.com/testcontainers/testcontainers-go/network"
)

// The labels every container and network of the docker backend carries.
const (
	// DockerLabelProject marks everything the docker backend creates; its
	// value is "minirocks".
	DockerLabelProject = "io.minirocks.project"
	// DockerLabelCluster names the cluster a container or network belongs to.
	DockerLabelCluster = "io.minirocks.cluster"
	// DockerLabelRun names the DockerBackend value (one per program run)
	// that created it.
	DockerLabelRun = "io.minirocks.run"
	// DockerLabelPID is the process id of the program that created it.
	DockerLabelPID = "io.minirocks.pid"
	// DockerLabelStarted is when that program started (Unix seconds).
	DockerLabelStarted = "io.minirocks.started"
)

// processStarted is when this program started, as near as a package can
// tell; leftovers of programs that started before it and are gone are
// removed by NewDockerBackend.
var processStarted = time.Now()

// DockerBackend runs every FE, compute node and MinIO of a cluster in a
// container of its own on a private bridge network of the cluster, through
// testcontainers-go and the local Docker engine. Images are built locally
// FROM scratch from the static minirocks and MinIO binaries (nothing is
// ever pulled) and tagged with the binary's content hash, so they are
// built again only when a binary changes. A node's install tree stays on
// this machine under NodeSpec.Dir and is bind-mounted at the same path,
// so WriteFile, ListDir, Wipe and the logs work on the host side. Nodes
// are reached at their container address on the network (static, known
// before the first start), which the host routes to on Linux.
//
// Close removes every container and network the backend made; a
// NewDockerBackend removes those of earlier runs whose program is gone.
type DockerBackend struct {
	run      string
	provider *tc.DockerProvider
	cli      client.APIClient
	logf     func(format string, args ...any)

	mu       sync.Mutex
	images   map[string]string // binary path+size+mtime -> image tag
	networks map[string]*dockerNetwork
	minios   map[*dockerMinIO]bool
	cuts     int // partitions made (Cut); Close removes their rules
}

// dockerNetwork is a cluster's bridge network with the addresses handed out.
type dockerNetwork struct {
	cluster string
	id      string
	name    string
	prefix  netip.Prefix
	next    int
	users   int // nodes and MinIOs of the cluster not closed
}

// DockerAvailable checks that a Docker engine answers, and returns why not.
func DockerAvailable(ctx context.Context) error {
	b, err := NewDockerBackend(ctx)
	if err != nil {
		return err
	}
	return b.Close()
}

// NewDockerBackend connects to the local Docker engine (DOCKER_HOST or
// the default socket), turns off testcontainers-go's reaper container
// (TESTCONTAINERS_RYUK_DISABLED=true: the reaper's image would be pulled)
// and removes leftovers of earlier runs whose program has ended. Without a
// reachable engine it fails at once.
func NewDockerBackend(ctx context.Context) (*DockerBackend, error) {
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	p, err := tc.NewDockerProvider(tc.WithLogger(silentLogger{}))
	if err != nil {
		return nil, fmt.Errorf("docker backend: no Docker engine: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := p.Client().Ping(pctx, client.PingOptions{}); err != nil {
		return nil, fmt.Errorf("docker backend: no Docker engine answers (is it running, is DOCKER_HOST right?): %w", err)
	}
	b := &DockerBackend{
		run:      randomHex(4),
		provider: p,
		cli:      p.Client(),
		logf:     func(string, ...any) {},
		images:   map[string]string{},
		networks: map[string]*dockerNetwork{},
		minios:   map[*dockerMinIO]bool{},
	}
	if err := b.removeLeftovers(ctx); err != nil {
		return nil, err
	}
	if err := b.removeCuts(ctx, true); err != nil {
		return nil, err
	}
	return b, nil
}

type silentLogger struct{}

func (silentLogger) Printf(string, ...any) {}

func randomHex(n int) string {
	buf := make([]byte, n)
	_, _ = rand.Read(buf)
	return hex.EncodeToString(buf)
}

// Name is "docker".
func (b *DockerBackend) Name() string { return "docker" }

// Run is the id of this backend value, the DockerLabelRun of what it makes.
func (b *DockerBackend) Run() string { return b.run }

// labels are the labels of everything made for cluster.
func (b *DockerBackend) labels(cluster string) map[string]string {
	return map[string]string{
		DockerLabelProject: "minirocks",
		DockerLabelCluster: cluster,
		DockerLabelRun:     b.run,
		DockerLabelPID:     strconv.Itoa(os.Getpid()),
		DockerLabelStarted: strconv.FormatInt(processStarted.Unix(), 10),
	}
}

// leftover tells whether labels name a run of a program that has ended
// and started before this one.
func leftover(labels map[string]string) bool {
	pid, err1 := strconv.Atoi(labels[DockerLabelPID])
	started, err2 := strconv.ParseInt(labels[DockerLabelStarted], 10, 64)
	if err1 != nil || err2 != nil {
		return true
	}
	if pid == os.Getpid() || started > processStarted.Unix() {
		return false
	}
	return syscall.Kill(pid, 0) == syscall.ESRCH
}

// removeLeftovers removes containers and networks of ended runs.
func (b *DockerBackend) removeLeftovers(ctx context.Context) error {
	return b.remove(ctx, client.Filters{}.Add("label", DockerLabelProject+"=minirocks"), leftover)
}

// remove force-removes the containers, then the networks, that match f
// and keep.
func (b *DockerBackend) remove(ctx context.Context, f client.Filters, keep func(map[string]string) bool) error {
	var errs []error
	cs, err := b.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return fmt.Errorf("docker backend: list containers: %w", err)
	}
	for _, c := range cs.Items {
		if keep(c.Labels) {
			if _, err := b.cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !isNotFound(err) {
				errs = append(errs, fmt.Errorf("remove container %s: %w", c.ID[:12], err))
			}
		}
	}
	ns, err := b.cli.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		return fmt.Errorf("docker backend: list networks: %w", err)
	}
	for _, n := range ns.Items {
		if keep(n.Labels) {
			if _, err := b.cli.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil && !isNotFound(err) {
				errs = append(errs, fmt.Errorf("remove network %s: %w", n.Name, err))
			}
		}
	}
	vs, err := b.cli.VolumeList(ctx, client.VolumeListOptions{Filters: f})
	if err == nil {
		for _, v := range vs.Items {
			if keep(v.Labels) {
				if _, err := b.cli.VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{Force: true}); err != nil && !isNotFound(err) {
					errs = append(errs, fmt.Errorf("remove volume %s: %w", v.Name, err))
				}
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("docker backend: %w", err)
	}
	return nil
}

// isNotFound tells an engine's "no such container/network/volume".
func isNotFound(err error) bool {
	return err != nil && (cerrdefs.IsNotFound(err) || regexp.MustCompile(`(?i)no such|not found`).MatchString(err.Error()))
}

// Close removes every container and network this backend made.
func (b *DockerBackend) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b.mu.Lock()
	b.networks = map[string]*dockerNetwork{}
	b.minios = map[*dockerMinIO]bool{}
	cuts := b.cuts
	b.mu.Unlock()
	if cuts > 0 {
		if err := b.removeCuts(ctx, false); err != nil {
			return err
		}
	}
	return b.remove(ctx, client.Filters{}.Add("label", DockerLabelRun+"="+b.run), func(map[string]string) bool { return true })
}

// image returns the tag of an image FROM scratch holding binary as
// /<name>, building it when no image of that content exists yet.
func (b *DockerBackend) image(ctx context.Context, binary, name string) (string, error) {
	st, err := os.Stat(binary)
	if err != nil {
		return "", fmt.Errorf("docker backend: %s binary: %w", name, err)
	}
	if ef, err := elf.Open(binary); err == nil {
		for _, p := range ef.Progs {
			if p.Type == elf.PT_INTERP {
				ef.Close()
				return "", fmt.Errorf("docker backend: %s is not statically linked; images FROM scratch need one (build it with CGO_ENABLED=0)", binary)
			}
		}
		ef.Close()
	}
	key := fmt.Sprintf("%s|%d|%d", binary, st.Size(), st.ModTime().UnixNano())
	b.mu.Lock()
	defer b.mu.Unlock()
	if tag, ok := b.images[key]; ok {
		return tag, nil
	}
	f, err := os.Open(binary)
	if err != nil {
		return "", fmt.Errorf("docker backend: %w", err)
	}
	h := sha256.New()
	_, err = io.Copy(h, f)
	f.Close()
	if err != nil {
		return "", fmt.Errorf("docker backend: hash %s: %w", binary, err)
	}
	repo, tag := "minirocks/"+name, hex.EncodeToString(h.Sum(nil))[:20]
	ref := repo + ":" + tag
	if _, err := b.cli.ImageInspect(ctx, ref); err == nil {
		b.images[key] = ref
		return ref, nil
	}
	dir, err := os.MkdirTemp("", "minirocks-image-")
	if err != nil {
		return "", fmt.Errorf("docker backend: build context: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := copyFile(binary, filepath.Join(dir, name), 0o755); err != nil {
		return "", fmt.Errorf("docker backend: build context: %w", err)
	}
	dockerfile := fmt.Sprintf("FROM scratch\nCOPY %s /%s\nENTRYPOINT [\"/%s\"]\n", name, name, name)
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		return "", fmt.Errorf("docker backend: build context: %w", err)
	}
	req := tc.ContainerRequest{
		FromDockerfile: tc.FromDockerfile{Context: dir, Repo: repo, Tag: tag, KeepImage: true, BuildLogWriter: io.Discard},
		Labels:         map[string]string{DockerLabelProject: "minirocks"},
	}
	if _, err := b.provider.BuildImage(ctx, &req); err != nil {
		return "", fmt.Errorf("docker backend: build image %s from %s: %w", ref, binary, err)
	}
	b.images[key] = ref
	b.removeOldImages(ctx, repo, ref)
	return ref, nil
}

// removeOldImages removes the images of repo other than keep that are
// more than a day old and that no container uses (the binaries they hold
// were rebuilt); images in use stay, and so do recent ones, which another
// program may be about to run.
func (b *DockerBackend) removeOldImages(ctx context.Context, repo, keep string) {
	imgs, err := b.cli.ImageList(ctx, client.ImageListOptions{Filters: client.Filters{}.Add("reference", repo)})
	if err != nil {
		return
	}
	for _, img := range imgs.Items {
		if time.Since(time.Unix(img.Created, 0)) < 24*time.Hour {
			continue
		}
		for _, t := range img.RepoTags {
			if t != keep {
				_, _ = b.cli.ImageRemove(ctx, t, client.ImageRemoveOptions{})
			}
		}
	}
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// network returns the cluster's network, creating it (and connecting
// every MinIO of this backend to it, so a cluster restored onto new
// hosts reaches the lost cluster's storage) when it does not exist, and
// hands out the next address on it. The caller then holds one use of it.
func (b *DockerBackend) network(ctx context.Context, cluster string) (*dockerNetwork, netip.Addr, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.holdNetwork(ctx, cluster)
	if err != nil {
		return nil, netip.Addr{}, err
	}
	return n, n.nextAddr(), nil
}

// HostAddr implements HostAddresser: this machine's address on the
// cluster's network, the bridge's gateway, which the containers reach
// and this program can listen on. The network is made if it does not
// exist yet, and kept until release.
func (b *DockerBackend) HostAddr(ctx context.Context, cluster string) (string, func() error, error) {
	b.mu.Lock()
	n, err := b.holdNetwork(ctx, cluster)
	b.mu.Unlock()
	if err != nil {
		return "", nil, err
	}
	var once sync.Once
	var rerr error
	release := func() error {
		once.Do(func() { rerr = b.release(context.Background(), cluster) })
		return rerr
	}
	return n.gateway().String(), release, nil
}

// gateway is the bridge's own address on the network: this machine.
func (n *dockerNetwork) gateway() netip.Addr {
	a := n.prefix.Addr().As4()
	a[3] = 1
	return netip.AddrFrom4(a)
}

// holdNetwork returns the cluster's network, creating it when it does
// not exist, and counts one more use of it. b.mu is held.
func (b *DockerBackend) holdNetwork(ctx context.Context, cluster string) (*dockerNetwork, error) {
	n := b.networks[cluster]
	if n == nil {
		var err error
		if n, err = b.createNetwork(ctx, cluster); err != nil {
			return nil, err
		}
		b.networks[cluster] = n
		for m := range b.minios {
			if m.cluster == cluster {
				continue
			}
			addr := n.nextAddr()
			if _, err := b.cli.NetworkConnect(ctx, n.id, client.NetworkConnectOptions{Container: m.container,
				EndpointConfig: &network.EndpointSettings{IPAMConfig: &network.EndpointIPAMConfig{IPv4Address: addr}}}); err != nil {
				return nil, fmt.Errorf("docker backend: connect MinIO %s to the network of %s: %w", m.container, cluster, err)
			}
		}
	}
	n.users++
	return n, nil
}

func (n *dockerNetwork) nextAddr() netip.Addr {
	n.next++
	a := n.prefix.Addr().As4()
	a[3] = byte(n.next)
	return netip.AddrFrom4(a)
}

// createNetwork makes a bridge network on a free 10.x.y.0/24.
func (b *DockerBackend) createNetwork(ctx context.Context, cluster string) (*dockerNetwork, error) {
	var last error
	for attempt := 0; attempt < 20; attempt++ {
		x, _ := rand.Int(rand.Reader, big.NewInt(200))
		y, _ := rand.Int(rand.Reader, big.NewInt(256))
		prefix := netip.MustParsePrefix(fmt.Sprintf("10.%d.%d.0/24", 40+x.Int64(), y.Int64()))
		if routed(prefix) {
			continue
		}
		gw := (&dockerNetwork{prefix: prefix}).gateway()
		nw, err := tcnetwork.New(ctx,
			tcnetwork.WithLabels(b.labels(cluster)),
			tcnetwork.WithIPAM(&network.IPAM{Config: []network.IPAMConfig{{Subnet: prefix, Gateway: gw}}}))
		if err != nil {
			last = err
			continue
		}
		return &dockerNetwork{cluster: cluster, id: nw.ID, name: nw.Name, prefix: prefix, next: 1}, nil
	}
	return nil, fmt.Errorf("docker backend: create a network for %s: %w", cluster, last)
}

// release gives back one use of the cluster's network and removes the
// network after the last, disconnecting other clusters' MinIOs first.
func (b *DockerBackend) release(ctx context.Context, cluster string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := b.networks[cluster]
	if n == nil {
		return nil
	}
	if n.users--; n.users > 0 {
		return nil
	}
	delete(b.networks, cluster)
	for m := range b.minios {
		if m.cluster != cluster {
			_, _ = b.cli.NetworkDisconnect(ctx, n.id, client.NetworkDisconnectOptions{Container: m.container, Force: true})
		}
	}
	if _, err := b.cli.NetworkRemove(ctx, n.id, client.NetworkRemoveOptions{}); err != nil && !isNotFound(err) {
		return fmt.Errorf("docker backend: remove the network of %s: %w", cluster, err)
	}
	return nil
}

// containerName is a Docker name for node of cluster in this run. It is
// also the container's hostname and the name other containers resolve,
// so it stays a valid DNS label (at most 63 characters): a long cluster
// name is cut and a hash of it appended.
func (b *DockerBackend) containerName(cluster, node string) string {
	c := regexp.MustCompile(`[^a-zA-Z0-9-]+`).ReplaceAllString(cluster, "-")
	if len(c) > 30 {
		sum := sha256.Sum256([]byte(cluster))
		c = c[:23] + "-" + hex.EncodeToString(sum[:])[:6]
	}
	name := "minirocks-" + b.run + "-" + c + "-" + node
	if len(name) > 63 {
		sum := sha256.Sum256([]byte(name))
		name = name[:56] + "-" + hex.EncodeToString(sum[:])[:6]
	}
	return name
}

// Remaining lists what this backend made that still exists (containers,
// networks and volumes carrying its DockerLabelRun), "" when nothing does.
func (b *DockerBackend) Remaining(ctx context.Context) string {
	f := client.Filters{}.Add("label", DockerLabelRun+"="+b.run)
	var left []string
	if cs, err := b.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f}); err != nil {
		left = append(left, "containers unknown: "+err.Error())
	} else {
		for _, c := range cs.Items {
			left = append(left, "container "+c.ID[:12])
		}
	}
	if ns, err := b.cli.NetworkList(ctx, client.NetworkListOptions{Filters: f}); err != nil {
		left = append(left, "networks unknown: "+err.Error())
	} else {
		for _, n := range ns.Items {
			left = append(left, "network "+n.Name)
		}
	}
	if vs, err := b.cli.VolumeList(ctx, client.VolumeListOptions{Filters: f}); err != nil {
		left = append(left, "volumes unknown: "+err.Error())
	} else {
		for _, v := range vs.Items {
			left = append(left, "volume "+v.Name)
		}
	}
	return strings.Join(left, ", ")
}

// routed tells whether this machine already routes part of p somewhere
// (a LAN, a VPN, another bridge), from /proc/net/route; the default route
// does not count. Elsewhere than Linux nothing is known to be routed.
func routed(p netip.Prefix) bool {
	data, err := os.ReadFile("/proc/net/route")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 8 {
			continue
		}
		dst, err1 := strconv.ParseUint(f[1], 16, 32)
		mask, err2 := strconv.ParseUint(f[7], 16, 32)
		if err1 != nil || err2 != nil || mask == 0 {
			continue
		}
		// The kernel prints them in host (little-endian) byte order.
		d := netip.AddrFrom4([4]byte{byte(dst), byte(dst >> 8), byte(dst >> 16), byte(dst >> 24)})
		bits := 0
		for m := uint32(mask); m != 0; m >>= 1 {
			bits += int(m & 1)
		}
		if netip.PrefixFrom(d, bits).Masked().Overlaps(p) {
			return true
		}
	}
	return false
}

// forgetImage drops ref from the built images, so image checks and
// builds it again.
func (b *DockerBackend) forgetImage(ref string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k, v := range b.images {
		if v == ref {
			delete(b.images, k)
		}
	}
}

// ContainerSummary is one container of a cluster as `docker ps -a` shows
// it, for a drill's report. It carries no environment and no command
// line: MinIO's container holds its credentials there.
type ContainerSummary struct {
	Name, Image, State, Status string
	// Addresses are the container's addresses on its networks.
	Addresses []string
	// The rest is from `docker inspect`: the hostname, the command
	// (program and flags, which hold no secret), when it started and
	// ended, its exit code, whether the kernel killed it for memory, how
	// often the engine restarted it, and its bind mounts (host path ->
	// container path).
	Hostname              string
	Command               []string
	StartedAt, FinishedAt string
	ExitCode              int
	OOMKilled             bool
	RestartCount          int
	Mounts                []string
}

// Containers summarizes the containers of cluster this backend made, in
// every state, by name.
func (b *DockerBackend) Containers(ctx context.Context, cluster string) ([]ContainerSummary, error) {
	f := client.Filters{}.Add("label", DockerLabelRun+"="+b.run).Add("label", DockerLabelCluster+"="+cluster)
	cs, err := b.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return nil, fmt.Errorf("docker backend: list containers of %s: %w", cluster, err)
	}
	var out []ContainerSummary
	for _, c := range cs.Items {
		s := ContainerSummary{Image: c.Image, State: string(c.State), Status: c.Status}
		if len(c.Names) > 0 {
			s.Name = strings.TrimPrefix(c.Names[0], "/")
		}
		if c.NetworkSettings != nil {
			for _, n := range c.NetworkSettings.Networks {
				if n != nil && n.IPAddress.IsValid() {
					s.Addresses = append(s.Addresses, n.IPAddress.String())
				}
			}
			slices.Sort(s.Addresses)
		}
		if ins, err := b.cli.ContainerInspect(ctx, c.ID, client.ContainerInspectOptions{}); err == nil {
			ic := ins.Container
			s.RestartCount = ic.RestartCount
			s.Command = append([]string{ic.Path}, ic.Args...)
			if ic.Config != nil {
				s.Hostname = ic.Config.Hostname
			}
			if st := ic.State; st != nil {
				s.StartedAt, s.FinishedAt, s.ExitCode, s.OOMKilled = st.StartedAt, st.FinishedAt, st.ExitCode, st.OOMKilled
			}
			for _, m := range ic.Mounts {
				s.Mounts = append(s.Mounts, m.Source+" -> "+m.Destination)
			}
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b ContainerSummary) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}
