package deploy

// feConf is the fe.conf a new tree gets: StarRocks' keys and default ports,
// shared-data mode, and the builtin storage volume loaded from the aws_s3_*
// keys once they are filled in.
const feConf = `# minirocks frontend configuration (StarRocks fe.conf keys and defaults).
# Format: key = value; '#' starts a comment; a later line overrides an earlier one.

LOG_DIR = ${STARROCKS_HOME}/log
sys_log_level = INFO
meta_dir = ${STARROCKS_HOME}/meta

http_port = 8030
rpc_port = 9020
query_port = 9030
edit_log_port = 9010

# The address this node binds and advertises, as a CIDR:
# priority_networks = 127.0.0.11/32

# Shared-data mode: table data lives in object storage.
run_mode = shared_data
cloud_native_storage_type = S3
# Create builtin_storage_volume from the aws_s3_* keys at the first start.
enable_load_volume_from_conf = true
# aws_s3_path = bucket/prefix
# aws_s3_endpoint = 127.0.0.1:9000
# aws_s3_region = us-east-1
# aws_s3_access_key = ...
# aws_s3_secret_key = ...
# aws_s3_use_instance_profile = false
`

// cnConf is the cn.conf a new tree gets.
// clusterSnapshotYAML is conf/cluster_snapshot.yaml as an install tree
// gets it: every line commented out, as StarRocks ships it. A restore
// (start_fe.sh --cluster_snapshot) reads it; docs/restore.md explains it.
const clusterSnapshotYAML = `# Restore from an automated cluster snapshot: start_fe.sh --cluster_snapshot
# (or RESTORE_CLUSTER_SNAPSHOT=true) reads this file. Uncomment what applies;
# docs/restore.md is the runbook.
#
# Where the snapshot is, and which storage volume below reads it. The path is
# one snapshot's directory, or the meta directory (the newest complete
# snapshot in it is taken).
# cluster_snapshot:
#   cluster_snapshot_path: s3://my-bucket/prefix/<service_id>/meta/image/automated_cluster_snapshot_1704038400000
#   storage_volume_name: my_s3_volume
#
# The other FEs of the restored cluster (not this one, the leader); they are
# started with a clean meta dir and --helper <this host>:<edit_log_port>.
# Without this section the snapshot's FEs stay registered.
# frontends:
#   - host: 10.0.0.2
#     edit_log_port: 9010
#     type: follower        # follower (default) or observer
#   - host: 10.0.0.3
#     edit_log_port: 9010
#     type: observer
#
# The compute nodes of the restored cluster, started with a clean
# storage_root_path. Without this section the snapshot's are kept.
# compute_nodes:
#   - host: 10.0.0.4
#     heartbeat_service_port: 9050
#
# Storage volumes replaced by name (their ids stay): a copied bucket, new
# credentials. The one named above is also how the snapshot is read.
# storage_volumes:
#   - name: my_s3_volume
#     type: S3
#     location: s3://my-bucket/prefix
#     comment: my s3 volume
#     properties:
#       - key: aws.s3.region
#         value: us-west-2
#       - key: aws.s3.endpoint
#         value: https://s3.us-west-2.amazonaws.com
#       - key: aws.s3.access_key
#         value: xxxxxxxxxx
#       - key: aws.s3.secret_key
#         value: yyyyyyyyyy
#   # HDFS volumes parse, but restoring onto them is not supported.
#   - name: my_hdfs_volume
#     type: HDFS
#     location: hdfs://127.0.0.1:9000/sr/test/
#     comment: my hdfs volume
#     properties:
#       - key: hadoop.security.authentication
#         value: simple
#       - key: username
#         value: starrocks
`

const cnConf = `# minirocks compute node configuration (StarRocks cn.conf keys and defaults).

sys_log_level = INFO

be_port = 9060
webserver_port = 8040
heartbeat_service_port = 9050
brpc_port = 8060

# A local cache only: wiping it loses nothing.
storage_root_path = ${STARROCKS_HOME}/storage

# The address this node binds and advertises, as a CIDR:
# priority_networks = 127.0.0.21/32
`

// nodeRunning defines node_running PIDFILE CMD, which succeeds only when the
// pid file names a live process of this install tree's binary running CMD.
// A pid that is a zombie (killed but not yet reaped, common in containers
// whose init does not reap) or that the kernel gave to another program is
// not a running node, so a start after kill -9 is never refused for it.
const nodeRunning = `node_running() {
    [ -f "$1" ] || return 1
    pid=$(cat "$1")
    case "$pid" in ''|*[!0-9]*) return 1 ;; esac
    kill -0 "$pid" 2>/dev/null || return 1
    if [ -d /proc/$$ ]; then
        state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null)
        case "$state" in ''|Z|X) return 1 ;; esac
        tr '\000' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$STARROCKS_HOME/lib/minirocks $2 " || return 1
    fi
    return 0
}`

// startFE runs the FE in the foreground, or detached with --daemon.
const startFE = `#!/bin/sh
# Start a minirocks frontend, as StarRocks' start_fe.sh does.
#   start_fe.sh [--helper HOST:EDIT_LOG_PORT] [--cluster_snapshot] [--daemon]
# RESTORE_CLUSTER_SNAPSHOT=true in the environment means --cluster_snapshot.
STARROCKS_HOME=$(cd "$(dirname "$0")/.." && pwd)
export STARROCKS_HOME
daemon=false
set --  "$@" --end--
while [ "$1" != "--end--" ]; do
    case "$1" in
        --daemon) daemon=true ;;
        --helper) set -- "$@" --helper "$2"; shift ;;
        --helper=*) set -- "$@" --helper "${1#--helper=}" ;;
        --cluster_snapshot) set -- "$@" --cluster_snapshot ;;
        *) echo "start_fe.sh: unknown option $1" >&2
           echo "usage: start_fe.sh [--helper HOST:EDIT_LOG_PORT] [--cluster_snapshot] [--daemon]" >&2
           exit 1 ;;
    esac
    shift
done
shift
pidfile="$STARROCKS_HOME/bin/fe.pid"
` + nodeRunning + `
if node_running "$pidfile" fe; then
    echo "Frontend running as process $(cat "$pidfile"). Stop it first." >&2
    exit 1
fi
mkdir -p "$STARROCKS_HOME/log"
if [ "$daemon" = true ]; then
    if command -v setsid >/dev/null 2>&1; then
        nohup setsid "$STARROCKS_HOME/lib/minirocks" fe --home "$STARROCKS_HOME" "$@" >>"$STARROCKS_HOME/log/fe.out" 2>&1 </dev/null &
    else
        nohup "$STARROCKS_HOME/lib/minirocks" fe --home "$STARROCKS_HOME" "$@" >>"$STARROCKS_HOME/log/fe.out" 2>&1 </dev/null &
    fi
    echo $! >"$pidfile"
    exit 0
fi
echo $$ >"$pidfile"
exec "$STARROCKS_HOME/lib/minirocks" fe --home "$STARROCKS_HOME" "$@"
`

// startCN runs the compute node in the foreground, or detached with --daemon.
const startCN = `#!/bin/sh
# Start a minirocks compute node, as StarRocks' start_cn.sh does.
#   start_cn.sh [--daemon]
STARROCKS_HOME=$(cd "$(dirname "$0")/.." && pwd)
export STARROCKS_HOME
daemon=false
for arg in "$@"; do
    case "$arg" in
        --daemon) daemon=true ;;
        *) echo "start_cn.sh: unknown option $arg" >&2; echo "usage: start_cn.sh [--daemon]" >&2; exit 1 ;;
    esac
done
pidfile="$STARROCKS_HOME/bin/cn.pid"
` + nodeRunning + `
if node_running "$pidfile" cn; then
    echo "Compute node running as process $(cat "$pidfile"). Stop it first." >&2
    exit 1
fi
mkdir -p "$STARROCKS_HOME/log"
if [ "$daemon" = true ]; then
    if command -v setsid >/dev/null 2>&1; then
        nohup setsid "$STARROCKS_HOME/lib/minirocks" cn --home "$STARROCKS_HOME" >>"$STARROCKS_HOME/log/cn.out" 2>&1 </dev/null &
    else
        nohup "$STARROCKS_HOME/lib/minirocks" cn --home "$STARROCKS_HOME" >>"$STARROCKS_HOME/log/cn.out" 2>&1 </dev/null &
    fi
    echo $! >"$pidfile"
    exit 0
fi
echo $$ >"$pidfile"
exec "$STARROCKS_HOME/lib/minirocks" cn --home "$STARROCKS_HOME"
`

// stopScript stops the process recorded in bin/<name>.pid: SIGTERM, then
// wait up to 60 s for it to exit.
func stopScript(name, what string) string {
	return `#!/bin/sh
# Stop the minirocks ` + what + ` started by start_` + name + `.sh.
STARROCKS_HOME=$(cd "$(dirname "$0")/.." && pwd)
pidfile="$STARROCKS_HOME/bin/` + name + `.pid"
if [ ! -f "$pidfile" ]; then
    echo "` + what + ` is not running (no $pidfile)" >&2
    exit 0
fi
` + nodeRunning + `
pid=$(cat "$pidfile")
if ! node_running "$pidfile" ` + name + `; then
    echo "` + what + ` process $pid is not running; removing $pidfile" >&2
    rm -f "$pidfile"
    exit 0
fi
kill "$pid"
i=0
while node_running "$pidfile" ` + name + `; do
    i=$((i + 1))
    if [ $i -gt 600 ]; then
        echo "` + what + ` process $pid did not stop in 60s; sending SIGKILL" >&2
        kill -9 "$pid" 2>/dev/null
        break
    fi
    sleep 0.1
done
rm -f "$pidfile"
echo "` + what + ` process $pid stopped"
`
}
