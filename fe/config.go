package fe

import (
	"github.com/minirocks/minirocks/conf"
)

// Names of the fe.conf keys the FE reads. They are StarRocks' names; their
// defaults are StarRocks' defaults unless a comment says otherwise.
const (
	KeyMetaDir            = "meta_dir"
	KeySysLogDir          = "sys_log_dir"
	KeySysLogLevel        = "sys_log_level"
	KeyQueryPort          = "query_port"
	KeyHTTPPort           = "http_port"
	KeyRPCPort            = "rpc_port"
	KeyEditLogPort        = "edit_log_port"
	KeyPriorityNetworks   = "priority_networks"
	KeyRunMode            = "run_mode"
	KeyStorageType        = "cloud_native_storage_type"
	KeyS3Path             = "aws_s3_path"
	KeyS3Endpoint         = "aws_s3_endpoint"
	KeyS3Region           = "aws_s3_region"
	KeyS3AccessKey        = "aws_s3_access_key"
	KeyS3SecretKey        = "aws_s3_secret_key"
	KeyS3InstanceProfile  = "aws_s3_use_instance_profile"
	KeyS3DefaultBehavior  = "aws_s3_use_aws_sdk_default_behavior"
	KeyS3PathStyle        = "aws_s3_enable_path_style_access"
	KeyLoadVolumeFromConf = "enable_load_volume_from_conf"
	KeyEditLogRollNum     = "edit_log_roll_num"
	KeySnapshotInterval   = "automated_cluster_snapshot_interval_seconds"
	KeySnapshotTimeout    = "automated_cluster_snapshot_timeout_seconds"
	KeySnapshotMaxJobs    = "max_historical_automated_cluster_snapshot_jobs"
	KeyTrashExpire        = "catalog_trash_expire_second"
	KeyVacuumGrace        = "lake_autovacuum_grace_period_minutes"
	KeyHeartbeatTimeout   = "heartbeat_timeout_second"
	KeyMaxConnections     = "qe_max_connection"
	KeyServerVersion      = "mysql_server_version"
	KeyCheckpointInterval = "checkpoint_interval_second"
	KeyVacuumNaptime      = "lake_autovacuum_partition_naptime_seconds"
	KeyCompactionMinScore = "lake_compaction_score_selector_min_score"
	KeyPublishTimeout     = "publish_version_timeout_second"
	KeyTabletRPCTimeout   = "tablet_rpc_timeout_second"
	KeyLabelKeepMax       = "label_keep_max_second"
	KeyLabelCleanInterval = "label_clean_interval_second"
	KeyMaxRunningTxnPerDB = "max_running_txn_num_per_db"
	// KeyEnablePprof is minirocks' own key (a StarRocks FE is a Java process
	// with no Go profiler): serve /debug/pprof/ on http_port.
	KeyEnablePprof = "enable_pprof"
)

// Run modes.
const (
	RunModeSharedData    = "shared_data"
	RunModeSharedNothing = "shared_nothing"
)

// ConfigSpecs declares every fe.conf key minirocks understands.
func ConfigSpecs() []conf.Spec {
	return []conf.Spec{
		{Key: "LOG_DIR", Default: "${STARROCKS_HOME}/log", Doc: "where start_fe.sh writes fe.out"},
		{Key: KeySysLogDir, Default: "${STARROCKS_HOME}/log", Doc: "directory of fe.log"},
		{Key: KeySysLogLevel, Kind: conf.Enum, Default: "INFO", Choices: []string{"DEBUG", "INFO", "WARN", "ERROR", "FATAL"}, Mutable: true, Doc: "log level of fe.log"},
		{Key: KeyMetaDir, Default: "${STARROCKS_HOME}/meta", Doc: "journal (bdb/) and images (image/)"},
		{Key: KeyQueryPort, Kind: conf.Int, Default: "9030", Min: 1, Max: 65535, Doc: "MySQL protocol port"},
		{Key: KeyHTTPPort, Kind: conf.Int, Default: "8030", Min: 1, Max: 65535, Doc: "HTTP port (/api/health, /metrics, stream load)"},
		{Key: KeyRPCPort, Kind: conf.Int, Default: "9020", Min: 1, Max: 65535, Doc: "FE RPC port (compute nodes report here)"},
		{Key: KeyEditLogPort, Kind: conf.Int, Default: "9010", Min: 1, Max: 65535, Doc: "journal replication and join port"},
		{Key: KeyPriorityNetworks, Kind: conf.CIDRList, Default: "", Doc: "CIDRs choosing the address this node binds and advertises"},
		{Key: KeyRunMode, Kind: conf.Enum, Default: RunModeSharedNothing, Choices: []string{RunModeSharedData, RunModeSharedNothing}, Doc: "minirocks stores table data only in shared_data mode"},
		{Key: KeyStorageType, Kind: conf.Enum, Default: "S3", Choices: []string{"S3", "HDFS", "AZBLOB"}, Doc: "type of the builtin storage volume"},
		{Key: KeyS3Path, Default: "", Doc: "bucket/prefix of the builtin storage volume"},
		{Key: KeyS3Endpoint, Default: "", Doc: "S3 endpoint of the builtin storage volume"},
		{Key: KeyS3Region, Default: "", Doc: "S3 region of the builtin storage volume"},
		{Key: KeyS3AccessKey, Default: "", Doc: "S3 access key of the builtin storage volume"},
		{Key: KeyS3SecretKey, Default: "", Secret: true, Doc: "S3 secret key of the builtin storage volume"},
		{Key: KeyS3InstanceProfile, Kind: conf.Bool, Default: "false"},
		{Key: KeyS3DefaultBehavior, Kind: conf.Bool, Default: "false"},
		{Key: KeyS3PathStyle, Kind: conf.Bool, Default: "false"},
		{Key: KeyLoadVolumeFromConf, Kind: conf.Bool, Default: "false", Doc: "create builtin_storage_volume from the aws_s3_* keys at bootstrap"},
		{Key: KeyEditLogRollNum, Kind: conf.Int, Default: "50000", Min: 1, Max: 1 << 40, Mutable: true, Doc: "journal entries between checkpoints (images)"},
		{Key: KeyCheckpointInterval, Kind: conf.Int, Default: "60", Min: 1, Max: 86400, Doc: "seconds between checks whether a checkpoint is due"},
		{Key: KeySnapshotInterval, Kind: conf.Int, Default: "1800", Min: 1, Max: 1 << 31, Mutable: true, Doc: "minimum seconds between automated cluster snapshots"},
		{Key: KeySnapshotTimeout, Kind: conf.Int, Default: "3600", Min: 1, Max: 1 << 31, Mutable: true, Doc: "seconds an automated cluster snapshot job may run before it ends in ERROR"},
		{Key: KeySnapshotMaxJobs, Kind: conf.Int, Default: "100", Min: 2, Max: 1 << 20, Mutable: true, Doc: "finished (DELETED or ERROR) snapshot jobs kept in cluster_snapshot_jobs"},
		{Key: KeyTrashExpire, Kind: conf.Int, Default: "86400", Min: 0, Max: 1 << 40, Mutable: true, Doc: "seconds a dropped table stays recoverable"},
		{Key: KeyVacuumGrace, Kind: conf.Int, Default: "30", Min: 0, Max: 1 << 31, Mutable: true, Doc: "minutes before vacuum may delete unreferenced files"},
		{Key: KeyVacuumNaptime, Kind: conf.Int, Default: "180", Min: 1, Max: 1 << 31, Mutable: true, Doc: "seconds between rounds of compaction, vacuum and recycle-bin erasing"},
		{Key: KeyCompactionMinScore, Kind: conf.Int, Default: "10", Min: 1, Max: 1 << 31, Mutable: true, Doc: "versions since the last compaction that trigger an automatic one"},
		{Key: KeyLabelKeepMax, Kind: conf.Int, Default: "259200", Min: 1, Max: 1 << 40, Mutable: true, Doc: "seconds a finished transaction and its label are kept"},
		{Key: KeyLabelCleanInterval, Kind: conf.Int, Default: "14400", Min: 1, Max: 1 << 31, Mutable: true, Doc: "seconds between removals of expired transactions"},
		{Key: KeyMaxRunningTxnPerDB, Kind: conf.Int, Default: "1000", Min: 1, Max: 1 << 31, Mutable: true, Doc: "running (PREPARE or COMMITTED) load transactions one database may have; a begin beyond it is refused"},
		{Key: KeyHeartbeatTimeout, Kind: conf.Int, Default: "5", Min: 1, Max: 3600, Mutable: true, Doc: "seconds without a heartbeat before a node is shown dead"},
		{Key: KeyPublishTimeout, Kind: conf.Int, Default: "30", Min: 1, Max: 86400, Mutable: true, Doc: "deadline in seconds of one transaction's publish on the compute nodes; a publish that misses it is retried"},
		{Key: KeyTabletRPCTimeout, Kind: conf.Int, Default: "300", Min: 1, Max: 86400, Mutable: true, Doc: "deadline in seconds of every other FE-to-CN call: tablet writes, scans, compaction, vacuum, drop"},
		{Key: KeyMaxConnections, Kind: conf.Int, Default: "4096", Min: 1, Max: 1 << 20, Doc: "maximum MySQL connections"},
		{Key: KeyServerVersion, Default: "8.0.33", Doc: "MySQL server version sent in the handshake"},
		{Key: KeyEnablePprof, Kind: conf.Bool, Default: "false", Doc: "serve Go profiling under /debug/pprof/ on http_port (minirocks only)"},
	}
}
