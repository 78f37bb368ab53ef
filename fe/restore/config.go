package restore

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/minirocks/minirocks/volume"
)

// Config is fe/conf/cluster_snapshot.yaml, StarRocks' description of a
// restore: where the snapshot is, and what the restored cluster's
// frontends, compute nodes and storage volumes are.
type Config struct {
	// Path is the file the config was read from, for messages.
	Path string
	// ClusterSnapshot names the snapshot to download; nil when the
	// section is absent (manual mode: the snapshot's files were put into
	// meta/image/ by hand).
	ClusterSnapshot *ClusterSnapshot
	// Frontends are the FEs besides the restored leader. FrontendsSet is
	// false when the key is absent or empty (YAML null): the snapshot's
	// FEs then stay registered.
	Frontends    []Frontend
	FrontendsSet bool
	// ComputeNodes replace the snapshot's compute nodes when
	// ComputeNodesSet; otherwise the snapshot's are kept.
	ComputeNodes    []ComputeNode
	ComputeNodesSet bool
	// StorageVolumes replace the same-named volumes of the snapshot,
	// keeping their ids; the one ClusterSnapshot names is also how the
	// snapshot is read.
	StorageVolumes []StorageVolume
}

// ClusterSnapshot is the cluster_snapshot section.
type ClusterSnapshot struct {
	// ClusterSnapshotPath is one snapshot's directory
	// (s3://b/p/<service_id>/meta/image/automated_cluster_snapshot_<ms>) or
	// the meta directory (s3://b/p/<service_id>/meta: the newest complete
	// snapshot there).
	ClusterSnapshotPath string
	StorageVolumeName   string
	line                int
}

// Frontend is one entry of frontends.
type Frontend struct {
	Host        string
	EditLogPort int
	// Type is FOLLOWER or OBSERVER.
	Type string
	Line int
}

// ComputeNode is one entry of compute_nodes.
type ComputeNode struct {
	Host                 string
	HeartbeatServicePort int
	Line                 int
}

// StorageVolume is one entry of storage_volumes.
type StorageVolume struct {
	Name, Type, Location, Comment string
	// Properties are the aws.s3.* keys, from the list of key/value pairs.
	Properties map[string]string
	// Line is where the entry starts in the file.
	Line int
}

// The file's shape, for the strict decoder.
type (
	rawConfig struct {
		ClusterSnapshot *rawSnapshot `yaml:"cluster_snapshot"`
		Frontends       yaml.Node    `yaml:"frontends"`
		ComputeNodes    yaml.Node    `yaml:"compute_nodes"`
		StorageVolumes  []rawVolume  `yaml:"storage_volumes"`
	}
	rawSnapshot struct {
		Path   string `yaml:"cluster_snapshot_path"`
		Volume string `yaml:"storage_volume_name"`
	}
	rawFrontend struct {
		Host        string `yaml:"host"`
		EditLogPort int    `yaml:"edit_log_port"`
		Type        string `yaml:"type"`
	}
	rawComputeNode struct {
		Host string `yaml:"host"`
		Port int    `yaml:"heartbeat_service_port"`
	}
	rawVolume struct {
		Name       string        `yaml:"name"`
		Type       string        `yaml:"type"`
		Location   string        `yaml:"location"`
		Comment    string        `yaml:"comment"`
		Properties []rawProperty `yaml:"properties"`
	}
	rawProperty struct {
		Key   string `yaml:"key"`
		Value string `yaml:"value"`
	}
)

// snapshotDirRE matches a snapshot directory path's tail.
var snapshotDirRE = regexp.MustCompile(`^(s3://[^/]+(?:/.*)?)/([^/]+)/meta(?:/image/(automated_cluster_snapshot_[0-9]+))?$`)

// LoadConfig reads and checks cluster_snapshot.yaml. Every error names the
// file, and where it applies the line and the field; no error repeats a
// secret property's value.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s does not exist: a restore from a cluster snapshot (--cluster_snapshot, RESTORE_CLUSTER_SNAPSHOT=true) reads it; "+
			"write it from the template minirocks deploy lays out (see docs/restore.md)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("Failed to load cluster snapshot config %s: %w", path, err)
	}
	return ParseConfig(path, b)
}

// ParseConfig is LoadConfig of the file's content b.
func ParseConfig(path string, b []byte) (*Config, error) {
	cfg := &Config{Path: path}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, fmt.Errorf("Failed to load cluster snapshot config %s: %s", path, scrubYAMLError(err))
	}
	if len(root.Content) == 0 || (root.Content[0].Kind == yaml.ScalarNode && root.Content[0].Tag == "!!null") {
		return cfg, nil // empty: every section absent
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var raw rawConfig
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("Failed to load cluster snapshot config %s: %s", path, scrubYAMLError(err))
	}
	top := root.Content[0]
	at := func(key string) int { // line of a top-level key
		for i := 0; i+1 < len(top.Content); i += 2 {
			if top.Content[i].Value == key {
				return top.Content[i].Line
			}
		}
		return 0
	}
	fail := func(line int, field, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s: %s", path, line, field, fmt.Sprintf(format, args...))
	}

	// storage_volumes first: cluster_snapshot refers to them.
	volNodes := seqItems(valueOf(top, "storage_volumes"))
	names := map[string]bool{}
	for i, rv := range raw.StorageVolumes {
		line := at("storage_volumes")
		if i < len(volNodes) {
			line = volNodes[i].Line
		}
		field := fmt.Sprintf("storage_volumes[%d]", i)
		if rv.Name == "" {
			return nil, fail(line, field+".name", "is required")
		}
		if names[rv.Name] {
			return nil, fail(line, field+".name", "storage volume %s is listed twice", rv.Name)
		}
		names[rv.Name] = true
		if rv.Type == "" {
			return nil, fail(line, field+".type", "is required (S3)")
		}
		if rv.Location == "" {
			return nil, fail(line, field+".location", "is required")
		}
		v := StorageVolume{Name: rv.Name, Type: strings.ToUpper(rv.Type), Location: strings.TrimRight(rv.Location, "/"),
			Comment: rv.Comment, Properties: map[string]string{}, Line: line}
		propNodes := seqItems(valueOf(volNodes[min(i, len(volNodes)-1)], "properties"))
		for j, p := range rv.Properties {
			pline := line
			if j < len(propNodes) {
				pline = propNodes[j].Line
			}
			if p.Key == "" || p.Value == "" {
				return nil, fail(pline, fmt.Sprintf("%s.properties[%d]", field, j), "Missing 'key' or 'value' in properties entry")
			}
			if _, dup := v.Properties[p.Key]; dup {
				return nil, fail(pline, fmt.Sprintf("%s.properties[%d]", field, j), "property %s is listed twice", p.Key)
			}
			v.Properties[p.Key] = p.Value
		}
		if v.Type == "S3" {
			if !strings.HasPrefix(v.Location, "s3://") {
				return nil, fail(line, field+".location", "an S3 volume's location is s3://bucket[/prefix], got %q", v.Location)
			}
			if err := volume.CheckProperties(v.Properties, true); err != nil {
				return nil, fail(line, field+".properties", "%v", err)
			}
		}
		cfg.StorageVolumes = append(cfg.StorageVolumes, v)
	}

	if raw.ClusterSnapshot != nil {
		line := at("cluster_snapshot")
		cs := &ClusterSnapshot{ClusterSnapshotPath: strings.TrimRight(raw.ClusterSnapshot.Path, "/"), StorageVolumeName: raw.ClusterSnapshot.Volume, line: line}
		if cs.ClusterSnapshotPath == "" {
			return nil, fail(line, "cluster_snapshot.cluster_snapshot_path", "is required")
		}
		if !snapshotDirRE.MatchString(cs.ClusterSnapshotPath) {
			return nil, fail(line, "cluster_snapshot.cluster_snapshot_path",
				"%q is neither a snapshot directory (s3://<bucket>/<prefix>/<service_id>/meta/image/automated_cluster_snapshot_<ms>) nor a meta directory (s3://<bucket>/<prefix>/<service_id>/meta)", cs.ClusterSnapshotPath)
		}
		if cs.StorageVolumeName == "" {
			return nil, fail(line, "cluster_snapshot.storage_volume_name", "is required")
		}
		if !names[cs.StorageVolumeName] {
			return nil, fail(line, "cluster_snapshot.storage_volume_name", "Storage volume %s not found (it must be listed under storage_volumes)", cs.StorageVolumeName)
		}
		cfg.ClusterSnapshot = cs
	}

	seen := map[string]bool{}
	if fe := &raw.Frontends; fe.Kind != 0 && fe.Tag != "!!null" {
		if fe.Kind != yaml.SequenceNode {
			return nil, fail(fe.Line, "frontends", "must be a list of host, edit_log_port, type")
		}
		items := seqItems(fe)
		list := make([]rawFrontend, len(items))
		for i, it := range items {
			if err := decodeStrict(it, &list[i]); err != nil {
				return nil, fail(it.Line, fmt.Sprintf("frontends[%d]", i), "%s", err)
			}
		}
		cfg.FrontendsSet = len(list) > 0
		for i, f := range list {
			line := items[i].Line
			field := fmt.Sprintf("frontends[%d]", i)
			if f.Host == "" {
				return nil, fail(line, field+".host", "is required")
			}
			if f.EditLogPort < 1 || f.EditLogPort > 65535 {
				return nil, fail(line, field+".edit_log_port", "%d is not a port (1..65535)", f.EditLogPort)
			}
			typ := strings.ToUpper(f.Type)
			if typ == "" {
				typ = "FOLLOWER"
			}
			if typ != "FOLLOWER" && typ != "OBSERVER" {
				return nil, fail(line, field+".type", "%q is neither follower nor observer", f.Type)
			}
			addr := f.Host + ":" + strconv.Itoa(f.EditLogPort)
			if seen[addr] {
				return nil, fail(line, field, "%s is listed twice", addr)
			}
			seen[addr] = true
			cfg.Frontends = append(cfg.Frontends, Frontend{Host: f.Host, EditLogPort: f.EditLogPort, Type: typ, Line: line})
		}
	}
	if cn := &raw.ComputeNodes; cn.Kind != 0 && cn.Tag != "!!null" {
		if cn.Kind != yaml.SequenceNode {
			return nil, fail(cn.Line, "compute_nodes", "must be a list of host, heartbeat_service_port")
		}
		items := seqItems(cn)
		list := make([]rawComputeNode, len(items))
		for i, it := range items {
			if err := decodeStrict(it, &list[i]); err != nil {
				return nil, fail(it.Line, fmt.Sprintf("compute_nodes[%d]", i), "%s", err)
			}
		}
		cfg.ComputeNodesSet = len(list) > 0
		for i, n := range list {
			line := items[i].Line
			field := fmt.Sprintf("compute_nodes[%d]", i)
			if n.Host == "" {
				return nil, fail(line, field+".host", "is required")
			}
			if n.Port < 1 || n.Port > 65535 {
				return nil, fail(line, field+".heartbeat_service_port", "%d is not a port (1..65535)", n.Port)
			}
			addr := n.Host + ":" + strconv.Itoa(n.Port)
			if seen[addr] {
				return nil, fail(line, field, "%s is listed twice", addr)
			}
			seen[addr] = true
			cfg.ComputeNodes = append(cfg.ComputeNodes, ComputeNode{Host: n.Host, HeartbeatServicePort: n.Port, Line: line})
		}
	}
	return cfg, nil
}

// decodeStrict decodes one list item refusing unknown fields; the error
// leaves out yaml.v3's line (relative to the item; the caller names the
// item's line).
func decodeStrict(n *yaml.Node, out any) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(out); err != nil {
		return errors.New(lineRE.ReplaceAllString(scrubYAMLError(err), ""))
	}
	return nil
}

var lineRE = regexp.MustCompile(`line [0-9]+: `)

// valueOf returns the value node of key in a mapping node, or nil.
func valueOf(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// seqItems returns a sequence node's items (nil for anything else).
func seqItems(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

// scrubYAMLError shortens yaml.v3's messages; they quote the offending
// value, which may be a secret, so quoted scalars are masked.
func scrubYAMLError(err error) string {
	msg := strings.ReplaceAll(err.Error(), "yaml: unmarshal errors:\n  ", "")
	msg = strings.ReplaceAll(msg, "\n  ", "; ")
	return quotedRE.ReplaceAllString(msg, "`***`")
}

var quotedRE = regexp.MustCompile("`[^`]*`")

// CheckRestorable refuses what the restore cannot do: volumes that are not
// S3 (the seed's HDFS example parses, but restoring onto HDFS is not
// supported).
func (c *Config) CheckRestorable() error {
	for _, v := range c.StorageVolumes {
		if v.Type != "S3" {
			return fmt.Errorf("%s:%d: storage_volumes: storage volume %s has type %s; restoring onto %s storage volumes is not supported (only S3)", c.Path, v.Line, v.Name, v.Type, v.Type)
		}
	}
	return nil
}

// Volume returns the storage_volumes entry called name, or nil.
func (c *Config) Volume(name string) *StorageVolume {
	for i := range c.StorageVolumes {
		if c.StorageVolumes[i].Name == name {
			return &c.StorageVolumes[i]
		}
	}
	return nil
}

// SnapshotLocation splits cluster_snapshot_path: the volume location
// (s3://bucket/prefix) the snapshot's service lives under, the service id,
// and the snapshot's name ("" for the meta-directory form: the newest
// complete snapshot there).
func (c *Config) SnapshotLocation() (location, serviceID, name string, err error) {
	if c.ClusterSnapshot == nil {
		return "", "", "", fmt.Errorf("%s: no cluster_snapshot section", c.Path)
	}
	m := snapshotDirRE.FindStringSubmatch(c.ClusterSnapshot.ClusterSnapshotPath)
	if m == nil {
		return "", "", "", fmt.Errorf("%s:%d: cluster_snapshot.cluster_snapshot_path: %q is not a snapshot or meta directory", c.Path, c.ClusterSnapshot.line, c.ClusterSnapshot.ClusterSnapshotPath)
	}
	return m[1], m[2], m[3], nil
}
