package lake

import (
	"slices"
	"sort"
	"time"

	"github.com/minirocks/minirocks/volume/layout"
)

// Object is one listed object of a partition directory.
type Object struct {
	// Key is relative to the partition directory ("meta/...", "log/...", "data/...").
	Key string
	// Size is the object's length in bytes.
	Size int64
	// Modified is the object's last-modified time, compared with the grace time.
	Modified time.Time
}

// VacuumPolicy is everything vacuum must not delete, as of one run. It is a
// value so that later protections (cluster snapshots pin versions) are new
// inputs, not new code paths.
type VacuumPolicy struct {
	// MinRetainVersion: every version at or above it stays readable. The FE
	// sets it from the partition's visible version and running queries.
	MinRetainVersion int64
	// PinnedVersions stay readable too (the versions a cluster snapshot
	// refers to), whatever MinRetainVersion is.
	PinnedVersions []int64
	// PendingTxns are the transactions that are not finished: prepared,
	// committed but not yet published (their txn logs are still needed).
	// Their txn logs and segment files are kept.
	PendingTxns map[int64]bool
	// Grace: nothing modified at or after Grace is deleted; files of loads
	// still being written are younger than it. The zero time deletes nothing.
	Grace time.Time
}

// retainedMetas returns, per the policy, the keys of the metas whose
// versions must stay readable. For each tablet: every version >=
// MinRetainVersion; and for MinRetainVersion and each pinned version, the
// newest version at or below it (the exact one when it exists, otherwise
// the one whose state that version has).
func retainedMetas(objs []Object, p VacuumPolicy) map[string]bool {
	versions := map[int64][]int64{}
	for _, o := range objs {
		if kind, tablet, v, ok := layout.ParseKey(o.Key); ok && kind == layout.KindMeta {
			versions[tablet] = append(versions[tablet], v)
		}
	}
	anchors := append([]int64{p.MinRetainVersion}, p.PinnedVersions...)
	keep := map[string]bool{}
	for tablet, vs := range versions {
		slices.Sort(vs)
		for _, v := range vs {
			if v >= p.MinRetainVersion {
				keep[layout.MetaKey(tablet, v)] = true
			}
		}
		for _, a := range anchors {
			// newest version <= a
			i := sort.Search(len(vs), func(i int) bool { return vs[i] > a })
			if i > 0 {
				keep[layout.MetaKey(tablet, vs[i-1])] = true
			}
		}
	}
	return keep
}

// MetasToRead returns, sorted, the keys of the retained metas (see
// PlanVacuum): the ones whose contents PlanVacuum needs to know which data
// files are still referenced.
func MetasToRead(objs []Object, p VacuumPolicy) []string {
	keep := retainedMetas(objs, p)
	out := make([]string, 0, len(keep))
	for k := range keep {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// PlanVacuum decides which objects of one partition directory to delete.
// retained maps the keys MetasToRead returned to their decoded contents.
//
// Nothing modified at or after p.Grace is deleted, nor any key layout.ParseKey
// does not recognise. Otherwise:
//
//   - a meta is deleted unless retained (>= MinRetainVersion, pinned, or
//     the newest at or below MinRetainVersion or a pinned version);
//   - a txn log is deleted unless its transaction is pending;
//   - a data file is deleted unless a retained meta references it or its
//     transaction (from its layout.SegmentKey name) is pending. If any retained
//     meta is missing from retained (it could not be read), no data file
//     is deleted at all: an unknown reference set protects everything.
//
// The result is sorted and depends only on the inputs.
func PlanVacuum(objs []Object, retained map[string]*TabletMeta, p VacuumPolicy) (deletions []string) {
	keep := retainedMetas(objs, p)
	complete := true
	for k := range keep {
		if retained[k] == nil {
			complete = false
		}
	}
	referenced := map[string]bool{}
	for _, m := range retained {
		if m == nil {
			continue
		}
		for _, rs := range m.Rowsets {
			for _, s := range rs.Segments {
				referenced[s.Name] = true
			}
		}
	}
	for _, o := range objs {
		if !o.Modified.Before(p.Grace) {
			continue
		}
		kind, _, n, ok := layout.ParseKey(o.Key)
		if !ok {
			continue
		}
		var del bool
		switch kind {
		case layout.KindMeta:
			del = !keep[o.Key]
		case layout.KindLog:
			del = !p.PendingTxns[n]
		case layout.KindData:
			del = complete && !referenced[o.Key] && !p.PendingTxns[n]
		}
		if del {
			deletions = append(deletions, o.Key)
		}
	}
	slices.Sort(deletions)
	return slices.Compact(deletions)
}
