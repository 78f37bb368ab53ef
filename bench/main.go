// Command bench turns `go test -bench` output (on stdin) into the summary
// `make bench` prints: each benchmark's ops/s next to the ceiling it is
// measured against, with the ratio, and the lake benchmark's phases (MB/s,
// rows/s, the ratio to a raw upload, peak RSS, CPU). The method is in
// docs/benchmarks.md.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// comparisons pairs each measured benchmark with its ceiling.
var comparisons = []struct {
	name, ceiling, target string
}{
	{"JournalPropose", "RawRaftApply", ""},
	{"MySQLDDL", "RawRaftApply", ">= 50% at clients=16"},
	{"JournalPropose3", "RawRaftApply3", ">= 50% at clients=16"},
	{"MySQLDDL3", "RawRaftApply3", ""},
}

var line = regexp.MustCompile(`^Benchmark(\w+)/(clients=\d+)(-\d+)?\s+\d+\s+.*?([\d.]+) ops/s`)

// lakeLine is one phase of BenchmarkLake; its metrics follow as
// "value unit" pairs.
var (
	lakeLine = regexp.MustCompile(`^BenchmarkLake/(\w+?)(-\d+)?\s+\d+\s+(.*)$`)
	metric   = regexp.MustCompile(`([\d.e+-]+) (\S+)`)
)

// haLine is one of the availability benchmarks: failover, join, raw raft
// re-election, cluster start; their metrics follow as "value unit" pairs.
var haLine = regexp.MustCompile(`^Benchmark(FEFailover|FEJoin|RawRaftReelection|ClusterStart)(/\S+?)?(-\d+)?\s+\d+\s+(.*)$`)

// metaLine is one of the metadata benchmarks: the image after 100,000
// loads (history kept or cleaned) and write latency during a checkpoint;
// their metrics follow as "value unit" pairs.
var metaLine = regexp.MustCompile(`^Benchmark(ImageAfterLoads|CheckpointLatency)(/\S+?)?(-\d+)?\s+\d+\s+(.*)$`)

// snapLine is one phase of BenchmarkSnapshot (a job at one table size
// next to a full copy of the data, or load throughput with and without
// snapshots), BenchmarkRestore or BenchmarkDrill (one table size), or
// BenchmarkDrillBackend (one backend and size, "backend=docker/drill_1MB");
// its metrics follow as "value unit" pairs.
var snapLine = regexp.MustCompile(`^Benchmark(?:Snapshot|Restore|DrillBackend|Drill)/([\w=/]+?)(-\d+)?\s+\d+\s+(.*)$`)

// snapTarget is the target for a snapshot phase.
func snapTarget(phase string) string {
	switch {
	case strings.HasPrefix(phase, "job_") && phase != "job_1MB" && phase != "job_100MB":
		return "job grows < 20% from 1 MB; job <= 5% of the full copy"
	case phase == "load_with_snapshots":
		return "< 5% lower than without (>= 95%)"
	case strings.HasPrefix(phase, "restore_") && phase != "restore_1MB" && phase != "restore_100MB":
		return "all_serving grows < 20% from 1 MB"
	case phase == "restore_1MB":
		return "< 10 s for the demo's data"
	case strings.HasPrefix(phase, "drill_") && phase != "drill_1MB" && phase != "drill_100MB":
		return "RTO (all_serving) grows < 20% from 1 MB"
	case strings.HasPrefix(phase, "backend=docker/"):
		return "docker next to process at the same size"
	}
	return ""
}

// metaTargets are the targets for them.
var metaTargets = map[string]string{
	"CheckpointLatency": "p99 during a checkpoint <= 2x p99 without",
}

// haTargets are the targets for them.
var haTargets = map[string]string{
	"FEFailover":   "< 3 s from leader kill to first successful write",
	"FEJoin":       "< 5 s with 100k journal entries",
	"ClusterStart": "< 3 s to MinIO + 3 FEs + 3 CNs serving",
}

// lakeColumns are the lake table's columns: metric unit and heading.
var lakeColumns = []struct{ unit, head string }{
	{"MB/s", "MB/s"},
	{"rows/s", "rows/s"},
	{"%_of_raw_upload", "% of raw upload"},
	{"FE_peak_MiB", "FE peak RSS (MiB)"},
	{"CN_peak_MiB", "CN peak RSS (MiB)"},
	{"CN_cpu_s", "CN CPU (s)"},
	{"MinIO_cpu_s", "MinIO CPU (s)"},
	{"FE_cpu_s", "FE CPU (s)"},
}

// lakeTargets are the targets for the lake phases.
var lakeTargets = map[string]string{
	"stream_load": ">= 50% of raw upload; FE and CN < 300 MiB",
	"insert":      "FE and CN < 300 MiB",
}

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(in io.Reader, out io.Writer) error {
	results := map[string]map[string]float64{} // name -> clients -> ops/s
	lake := map[string]map[string]float64{}    // phase -> unit -> value
	var phases []string
	var ha []string    // rendered rows of the availability table
	var meta []string  // rendered rows of the metadata table
	var snaps []string // rendered rows of the snapshot table
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		text := sc.Text()
		fmt.Fprintln(os.Stderr, text)
		if m := haLine.FindStringSubmatch(text); m != nil {
			ha = append(ha, fmt.Sprintf("| %s%s | %s | %s |", m[1], m[2], metricCells(m[4]), haTargets[m[1]]))
			continue
		}
		if m := metaLine.FindStringSubmatch(text); m != nil {
			meta = append(meta, fmt.Sprintf("| %s%s | %s | %s |", m[1], m[2], metricCells(m[4]), metaTargets[m[1]]))
			continue
		}
		if m := snapLine.FindStringSubmatch(text); m != nil {
			snaps = append(snaps, fmt.Sprintf("| %s | %s | %s |", m[1], metricCells(m[3]), snapTarget(m[1])))
			continue
		}
		if m := lakeLine.FindStringSubmatch(text); m != nil {
			if lake[m[1]] == nil {
				lake[m[1]] = map[string]float64{}
				phases = append(phases, m[1])
			}
			for _, mm := range metric.FindAllStringSubmatch(m[3], -1) {
				if v, err := strconv.ParseFloat(mm[1], 64); err == nil {
					lake[m[1]][mm[2]] = v
				}
			}
			continue
		}
		m := line.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		v, err := strconv.ParseFloat(m[4], 64)
		if err != nil {
			continue
		}
		if results[m[1]] == nil {
			results[m[1]] = map[string]float64{}
		}
		results[m[1]][m[2]] = v
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if len(results) == 0 && len(lake) == 0 && len(ha) == 0 && len(meta) == 0 && len(snaps) == 0 {
		return fmt.Errorf("no benchmark results on stdin")
	}
	if len(results) > 0 {
		printOps(out, results)
	}
	if len(ha) > 0 {
		fmt.Fprintln(out, "\n| availability | result | target |")
		fmt.Fprintln(out, "|---|---|---|")
		for _, r := range ha {
			fmt.Fprintln(out, r)
		}
	}
	if len(meta) > 0 {
		fmt.Fprintln(out, "\n| metadata | result | target |")
		fmt.Fprintln(out, "|---|---|---|")
		for _, r := range meta {
			fmt.Fprintln(out, r)
		}
	}
	if len(lake) > 0 {
		printLake(out, lake, phases)
	}
	if len(snaps) > 0 {
		fmt.Fprintln(out, "\n| cluster snapshots and restore | result | target |")
		fmt.Fprintln(out, "|---|---|---|")
		for _, r := range snaps {
			fmt.Fprintln(out, r)
		}
	}
	return nil
}

// metricCells renders a benchmark line's "value unit" pairs, without ns/op.
func metricCells(metrics string) string {
	var cells []string
	for _, mm := range metric.FindAllStringSubmatch(metrics, -1) {
		if mm[2] != "ns/op" {
			cells = append(cells, mm[1]+" "+mm[2])
		}
	}
	return strings.Join(cells, ", ")
}

// printLake prints the lake benchmark's phases, one row each.
func printLake(out io.Writer, lake map[string]map[string]float64, phases []string) {
	fmt.Fprint(out, "\n| phase |")
	for _, c := range lakeColumns {
		fmt.Fprintf(out, " %s |", c.head)
	}
	fmt.Fprintln(out, " target |")
	fmt.Fprint(out, "|---|")
	for range lakeColumns {
		fmt.Fprint(out, "---|")
	}
	fmt.Fprintln(out, "---|")
	for _, ph := range phases {
		fmt.Fprintf(out, "| %s |", ph)
		for _, c := range lakeColumns {
			v, ok := lake[ph][c.unit]
			switch {
			case !ok:
				fmt.Fprint(out, " |")
			case v >= 1000:
				fmt.Fprintf(out, " %.0f |", v)
			default:
				fmt.Fprintf(out, " %.1f |", v)
			}
		}
		fmt.Fprintf(out, " %s |\n", lakeTargets[ph])
	}
}

// printOps prints the ops/s benchmarks next to their ceilings.
func printOps(out io.Writer, results map[string]map[string]float64) {
	fmt.Fprintln(out, "\n| benchmark | clients | ops/s | ceiling (ops/s) | ratio | target |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|")
	var names []string
	for n := range results {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		var clients []string
		for c := range results[n] {
			clients = append(clients, c)
		}
		sort.Slice(clients, func(i, j int) bool { return num(clients[i]) < num(clients[j]) })
		for _, c := range clients {
			v := results[n][c]
			ceil, ratio, target := "", "", ""
			for _, cmp := range comparisons {
				if cmp.name == n {
					if base, ok := results[cmp.ceiling][c]; ok && base > 0 {
						ceil = fmt.Sprintf("%.0f (%s)", base, cmp.ceiling)
						ratio = fmt.Sprintf("%.0f%%", 100*v/base)
					}
					target = cmp.target
				}
			}
			fmt.Fprintf(out, "| %s | %s | %.0f | %s | %s | %s |\n", n, strings.TrimPrefix(c, "clients="), v, ceil, ratio, target)
		}
	}
}

func num(s string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(s, "clients="))
	return n
}
