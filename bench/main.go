// Command bench turns `go test -bench` output (on stdin) into the summary
// `make bench` prints: each benchmark's ops/s next to the ceiling it is
// measured against, with the ratio. The method is in docs/benchmarks.md.
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
}

var line = regexp.MustCompile(`^Benchmark(\w+)/(clients=\d+)(-\d+)?\s+\d+\s+.*?([\d.]+) ops/s`)

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(in io.Reader, out io.Writer) error {
	results := map[string]map[string]float64{} // name -> clients -> ops/s
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		text := sc.Text()
		fmt.Fprintln(os.Stderr, text)
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
	if len(results) == 0 {
		return fmt.Errorf("no benchmark results on stdin")
	}
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
	return nil
}

func num(s string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(s, "clients="))
	return n
}
