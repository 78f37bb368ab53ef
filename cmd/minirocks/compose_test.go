package main

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/minirocks/minirocks/cn"
	"github.com/minirocks/minirocks/conf"
	"github.com/minirocks/minirocks/fe"
	"github.com/minirocks/minirocks/fe/restore"
)

// composeDir holds the Compose example of docs/docker.md.
const composeDir = "../../deploy/compose"

// TestComposeFilesAgree checks the Compose example without an engine:
// fe.conf and cn.conf load with no unknown key, their priority_networks
// is the Compose network, the follower's --helper, the register job's
// statements and cluster_snapshot.yaml name the services' fixed
// addresses, and cluster_snapshot.yaml parses as a restore reads it.
func TestComposeFilesAgree(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(composeDir, "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Services map[string]struct {
			Command  []string `yaml:"command"`
			Networks map[string]struct {
				IPv4 string `yaml:"ipv4_address"`
			} `yaml:"networks"`
		} `yaml:"services"`
		Networks map[string]struct {
			IPAM struct {
				Config []struct {
					Subnet string `yaml:"subnet"`
				} `yaml:"config"`
			} `yaml:"ipam"`
		} `yaml:"networks"`
	}
	if err := yaml.Unmarshal(b, &file); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	subnet := netip.MustParsePrefix(file.Networks["minirocks"].IPAM.Config[0].Subnet)
	addr := map[string]string{}
	for name, s := range file.Services {
		a := s.Networks["minirocks"].IPv4
		if !subnet.Contains(netip.MustParseAddr(a)) {
			t.Errorf("service %s: address %s is not on %s", name, a, subnet)
		}
		addr[name] = a
	}
	for _, want := range []string{"minio", "createbucket", "fe1", "fe2", "cn1", "cn2", "register"} {
		if addr[want] == "" {
			t.Errorf("no service %s", want)
		}
	}

	env := map[string]string{"STARROCKS_HOME": "/opt/starrocks/fe", "S3_BUCKET": "b", "S3_PREFIX": "p", "S3_ENDPOINT": addr["minio"] + ":9000",
		"S3_REGION": "us-east-1", "S3_ACCESS_KEY": "ak", "S3_SECRET_KEY": "sk"}
	for _, c := range []struct {
		file  string
		specs []conf.Spec
	}{{"fe.conf", fe.ConfigSpecs()}, {"cn.conf", cn.ConfigSpecs()}} {
		cfg, warnings, err := conf.Load(filepath.Join(composeDir, c.file), c.specs, func(k string) string { return env[k] })
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if len(warnings) > 0 {
			t.Errorf("%s: %v", c.file, warnings)
		}
		if got := cfg.Get("priority_networks"); got != subnet.String() {
			t.Errorf("%s: priority_networks = %q, want the Compose network %s", c.file, got, subnet)
		}
	}

	if got := strings.Join(file.Services["fe2"].Command, " "); !strings.Contains(got, "--helper "+addr["fe1"]+":9010") {
		t.Errorf("fe2 command %q does not join through fe1 (%s:9010)", got, addr["fe1"])
	}
	register := strings.Join(file.Services["register"].Command, " ")
	for _, want := range []string{`ADD FOLLOWER "` + addr["fe2"] + `:9010"`, `ADD COMPUTE NODE "` + addr["cn1"] + `:9050"`, `ADD COMPUTE NODE "` + addr["cn2"] + `:9050"`, "-h " + addr["fe1"]} {
		if !strings.Contains(register, want) {
			t.Errorf("register job %q lacks %q", register, want)
		}
	}

	yb, err := os.ReadFile(filepath.Join(composeDir, "cluster_snapshot.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := restore.ParseConfig("cluster_snapshot.yaml", yb)
	if err != nil {
		t.Fatal(err)
	}
	var fes, cns []string
	for _, f := range rc.Frontends {
		fes = append(fes, f.Host)
	}
	for _, n := range rc.ComputeNodes {
		cns = append(cns, n.Host)
	}
	if !slices.Equal(fes, []string{addr["fe2"]}) || !slices.Equal(cns, []string{addr["cn1"], addr["cn2"]}) {
		t.Errorf("cluster_snapshot.yaml names frontends %v and compute nodes %v; the Compose file has fe2 %s, cn1 %s, cn2 %s", fes, cns, addr["fe2"], addr["cn1"], addr["cn2"])
	}
	if !strings.Contains(string(yb), "value: "+addr["minio"]+":9000") {
		t.Errorf("cluster_snapshot.yaml does not read the snapshot from the Compose MinIO at %s:9000", addr["minio"])
	}
}
