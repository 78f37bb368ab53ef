package deploy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDeploy(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "minirocks")
	require.NoError(t, os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755))
	dir := filepath.Join(t.TempDir(), "n1")
	l, err := Deploy(dir, Options{Binary: bin, FEConfExtra: "priority_networks = 127.0.0.11/32\n"})
	require.NoError(t, err)
	for _, p := range []string{"fe/bin/start_fe.sh", "fe/bin/stop_fe.sh", "fe/conf/fe.conf", "fe/lib/minirocks", "fe/meta", "fe/log",
		"be/bin/start_cn.sh", "be/bin/stop_cn.sh", "be/conf/cn.conf", "be/lib/minirocks", "be/storage", "be/log"} {
		_, err := os.Stat(filepath.Join(dir, p))
		require.NoError(t, err, p)
	}
	conf, err := os.ReadFile(l.FEConf())
	require.NoError(t, err)
	for _, want := range []string{"query_port = 9030", "http_port = 8030", "rpc_port = 9020", "edit_log_port = 9010",
		"run_mode = shared_data", "enable_load_volume_from_conf = true", "meta_dir = ${STARROCKS_HOME}/meta"} {
		require.Contains(t, string(conf), want)
	}
	require.True(t, strings.HasSuffix(string(conf), "priority_networks = 127.0.0.11/32\n"))
	cn, err := os.ReadFile(l.CNConf())
	require.NoError(t, err)
	for _, want := range []string{"heartbeat_service_port = 9050", "be_port = 9060", "webserver_port = 8040", "brpc_port = 8060", "storage_root_path = ${STARROCKS_HOME}/storage"} {
		require.Contains(t, string(cn), want)
	}
	_, err = Deploy(dir, Options{Binary: bin})
	require.ErrorContains(t, err, "already holds an install tree")
	// An upgrade keeps the operator's conf files.
	require.NoError(t, os.WriteFile(l.CNConf(), append(cn, "mem_limit = 8G\n"...), 0o644))
	_, err = Deploy(dir, Options{Binary: bin, Overwrite: true})
	require.NoError(t, err)
	kept, err := os.ReadFile(l.CNConf())
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(string(kept), "mem_limit = 8G\n"))
	kept, err = os.ReadFile(l.FEConf())
	require.NoError(t, err)
	require.Equal(t, string(conf), string(kept))
}
