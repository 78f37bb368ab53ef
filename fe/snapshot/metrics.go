package snapshot

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/minirocks/minirocks/fe/catalog"
)

var (
	jobsDesc = prometheus.NewDesc("starrocks_fe_cluster_snapshot_jobs",
		"Cluster snapshot jobs by state, as this FE's replica has them.", []string{"state"}, nil)
	lastTimeDesc = prometheus.NewDesc("starrocks_fe_cluster_snapshot_last_finished_timestamp_seconds",
		"Creation time (unix seconds) of the newest FINISHED cluster snapshot; 0 when there is none.", nil, nil)
	lastFEDesc = prometheus.NewDesc("starrocks_fe_cluster_snapshot_last_fe_journal_id",
		"fe_journal_id of the newest FINISHED cluster snapshot; 0 when there is none.", nil, nil)
	lastSMDesc = prometheus.NewDesc("starrocks_fe_cluster_snapshot_last_starmgr_journal_id",
		"starmgr_journal_id of the newest FINISHED cluster snapshot; 0 when there is none.", nil, nil)
	ageDesc = prometheus.NewDesc("starrocks_fe_cluster_snapshot_newest_age_seconds",
		"Seconds since the newest FINISHED cluster snapshot was created (absent when there is none): a schedule that silently stopped shows as a growing age.", nil, nil)
	bytesDesc = prometheus.NewDesc("starrocks_fe_cluster_snapshot_uploaded_bytes_total",
		"Bytes this FE uploaded for finished cluster snapshot jobs.", nil, nil)
	secondsDesc = prometheus.NewDesc("starrocks_fe_cluster_snapshot_upload_seconds_total",
		"Seconds this FE spent uploading finished cluster snapshot jobs.", nil, nil)
	failuresDesc = prometheus.NewDesc("starrocks_fe_cluster_snapshot_consecutive_failures",
		"Cluster snapshot jobs this FE ran that failed since the last one that finished.", nil, nil)
	lastJobDesc = prometheus.NewDesc("starrocks_fe_cluster_snapshot_last_job_seconds",
		"How long the last cluster snapshot job this FE ran took, from creation to its end.", nil, nil)
)

// Collector exports the cluster snapshot metrics of one FE: what its
// replica says about jobs and the newest snapshot (the same on every FE),
// and what its scheduler did (non-zero on the leader).
type Collector struct {
	Catalog   *catalog.Catalog
	Scheduler *Scheduler
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{jobsDesc, lastTimeDesc, lastFEDesc, lastSMDesc, ageDesc, bytesDesc, secondsDesc, failuresDesc, lastJobDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	counts := map[catalog.SnapshotJobState]int{}
	for _, s := range []catalog.SnapshotJobState{catalog.SnapshotInitializing, catalog.SnapshotSnapshoting,
		catalog.SnapshotFinished, catalog.SnapshotExpired, catalog.SnapshotDeleted, catalog.SnapshotError} {
		counts[s] = 0
	}
	var newest *catalog.SnapshotJob
	for _, j := range c.Catalog.SnapshotJobs() {
		counts[j.State]++
		if j.State == catalog.SnapshotFinished && (newest == nil || j.CreatedTime > newest.CreatedTime) {
			jj := j
			newest = &jj
		}
	}
	for s, n := range counts {
		ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(n), string(s))
	}
	var last, fe, sm float64
	if newest != nil {
		last, fe, sm = float64(newest.CreatedTime)/1000, float64(newest.FEJournalID), float64(newest.StarMgrJournalID)
		ch <- prometheus.MustNewConstMetric(ageDesc, prometheus.GaugeValue, now().Sub(time.UnixMilli(newest.CreatedTime)).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(lastTimeDesc, prometheus.GaugeValue, last)
	ch <- prometheus.MustNewConstMetric(lastFEDesc, prometheus.GaugeValue, fe)
	ch <- prometheus.MustNewConstMetric(lastSMDesc, prometheus.GaugeValue, sm)
	st := c.Scheduler.Stats()
	ch <- prometheus.MustNewConstMetric(bytesDesc, prometheus.CounterValue, float64(st.UploadedBytes))
	ch <- prometheus.MustNewConstMetric(secondsDesc, prometheus.CounterValue, st.UploadSeconds)
	ch <- prometheus.MustNewConstMetric(failuresDesc, prometheus.GaugeValue, float64(st.ConsecutiveFailures))
	ch <- prometheus.MustNewConstMetric(lastJobDesc, prometheus.GaugeValue, st.LastJobSeconds)
}
