package scenarios

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/harness"
)

var htmlT0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.Local)

// at is htmlT0 plus s seconds.
func at(s float64) time.Time { return htmlT0.Add(time.Duration(s * float64(time.Second))) }

// sampleChart is a drill of 60 s with a paused node, a kill, three
// snapshot jobs, the cut, the disaster and a restore of 5 s.
func sampleChart() Chart {
	times := harness.RestoreTimes{Started: at(50), Download: 800 * time.Millisecond, Verify: 300 * time.Millisecond,
		Rebuild: 1200 * time.Millisecond, FirstQuery: 2600 * time.Millisecond, AllServing: 5 * time.Second}
	phases, w := restoreSpans(times)
	c := Chart{
		Title: "drill total-loss-new-hosts", Description: "Every machine is lost while clients load.",
		Verdict: Pass, Seed: 11, Start: at(0), End: at(60),
		Lanes: []string{"faults", "snapshot jobs", "restore"},
		Spans: append([]Span{
			{Lane: "faults", Label: "pause fe2 (follower)", From: at(10), To: at(25), Class: "fault"},
			{Lane: "snapshot jobs", Label: "automated_cluster_snapshot_1 FINISHED", From: at(20), To: at(22), Class: jobClass("FINISHED")},
			{Lane: "snapshot jobs", Label: "automated_cluster_snapshot_2 ERROR", From: at(30), To: at(33), Class: jobClass("ERROR")},
			{Lane: "snapshot jobs", Label: "automated_cluster_snapshot_3 DELETED", From: at(40), To: at(41), Class: jobClass("DELETED"), Quiet: true},
		}, phases...),
		Marks: []Mark{
			{Lane: "faults", Label: "total loss: kill -9 of every FE and CN", At: at(48), Class: "fault"},
			{Label: "cut: automated_cluster_snapshot_3", At: at(40), Class: "cut"},
			{Label: "disaster", At: at(48), Class: "disaster"},
		},
		Figures: []Figure{{Name: "RTO", Value: "2.6s", Note: "to the first query"}, {Name: "RPO orders", Value: "0 lost", Note: "acknowledged loads"}},
		Summary: []Row{{"snapshot restored", "automated_cluster_snapshot_3, fe_journal_id 42"}, {"workload orders", "10 sent, 9 acknowledged, 7 present"}},
		Timeline: []Event{
			{At: at(0), Kind: "step", What: "drill total-loss-new-hosts"},
			{At: at(48), Kind: "fault", What: "total loss: kill -9 of every FE and CN"},
			{At: at(60), Kind: "check", What: "PASS: drill total-loss-new-hosts"},
		},
	}
	c.zoomOn(w, at(48))
	return c
}

func renderString(t *testing.T, c Chart) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, renderHTMLReport(&b, c))
	return b.String()
}

// TestHTMLReport renders charts built by hand and looks for what each
// must show, and for what it must not.
func TestHTMLReport(t *testing.T) {
	cases := []struct {
		name      string
		edit      func(c *Chart)
		want, not []string
	}{
		{"pass with faults, jobs and phases", func(*Chart) {}, []string{
			`<span class="badge pass">PASS</span>`, "<h1>drill total-loss-new-hosts</h1>", "seed 11",
			">pause fe2 (follower)</text>", ">total loss: kill -9 of every FE and CN</text>",
			"automated_cluster_snapshot_1 FINISHED", `class="span job-finished"`,
			"automated_cluster_snapshot_2 ERROR", `class="span job-error"`,
			"automated_cluster_snapshot_3 DELETED", `class="span job-deleted"`,
			">download 800ms</text>", ">verify 300ms</text>", ">rebuild 1.2s</text>",
			">first query after 2.6s</text>", ">all nodes serving after 5s</text>",
			`<line class="cut"`, ">cut: automated_cluster_snapshot_3</text>", `<line class="disaster"`, ">disaster</text>",
			"<h2>The restore, zoomed</h2>", `<rect class="shade"`,
			`<div class="name">RTO</div><div class="value">2.6s</div>`, `<div class="name">RPO orders</div><div class="value">0 lost</div>`,
			"<td>snapshot restored</td><td>automated_cluster_snapshot_3, fe_journal_id 42</td>",
			`<td class="at">&#43;48.000 s</td><td><span class="kind fault">fault</span></td><td class="what">total loss: kill -9 of every FE and CN</td>`,
		}, []string{"<script", "ul class=\"failures\"", "figure bad", "src=", "href=", "url(", "@import", "http://", "https://"}},
		{"fail lists its failures", func(c *Chart) {
			c.Verdict = Fail
			c.Failures = []string{"load demo_load_7 acknowledged but absent", "the restored cluster does not take writes"}
			c.Figures[1] = Figure{Name: "RPO orders", Value: "2 lost", Bad: true}
		}, []string{`<span class="badge fail">FAIL</span>`, "<li>load demo_load_7 acknowledged but absent</li>",
			"<li>the restored cluster does not take writes</li>", `<div class="figure bad">`}, []string{"badge pass"}},
		{"unknown verdict", func(c *Chart) {
			c.Verdict = Unknown
			c.Failures = []string{"could not finish: wait: timeout after 1m"}
		}, []string{`<span class="badge unknown">UNKNOWN</span>`, "<li>could not finish: wait: timeout after 1m</li>"}, []string{"badge pass", "badge fail"}},
		{"no verdict shows as unknown", func(c *Chart) { c.Verdict = "" }, []string{`<span class="badge unknown">UNKNOWN</span>`}, nil},
		{"text is escaped", func(c *Chart) {
			c.Title = "drill <b>bold</b>"
			c.Description = `<script>alert("x")</script>`
			c.Spans[0].Label = "pause <script>fe2</script>"
			c.Failures = []string{"<img src=x onerror=alert(1)>"}
			c.Timeline[1].What = "SELECT '<script>'"
			c.Summary[0].Value = "a & b"
		}, []string{"<h1>drill &lt;b&gt;bold&lt;/b&gt;</h1>", "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;",
			">pause &lt;script&gt;fe2&lt;/script&gt;</text>", "&lt;img src=x onerror=alert(1)&gt;", "SELECT &#39;&lt;script&gt;&#39;", "a &amp; b"},
			[]string{"<script", "<b>bold", "<img"}},
		{"a drill with no restore", func(c *Chart) {
			c.Spans = c.Spans[:4]
			c.Marks = c.Marks[:1]
			c.Zoom = Window{}
			c.Figures = nil
			c.Lanes = nil
		}, []string{">pause fe2 (follower)</text>", ">faults</text>", ">snapshot jobs</text>"},
			[]string{">restore</text>", "zoomed", `class="shade"`, "RTO", `class="figures"`, `<line class="cut"`, `<line class="disaster"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := sampleChart()
			tc.edit(&c)
			out := renderString(t, c)
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("report.html lacks %q", w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(out, n) {
					t.Errorf("report.html has %q", n)
				}
			}
			if t.Failed() {
				t.Logf("report.html:\n%s", out)
			}
		})
	}
}

// TestHTMLLayout: spans across the axis' ends are clipped to it, spans and
// marks outside a window are left out, overlapping spans go to separate
// rows, and lanes keep their order.
func TestHTMLLayout(t *testing.T) {
	c := Chart{Start: at(0), End: at(10), Lanes: []string{"b", "a"},
		Spans: []Span{
			{Lane: "a", Label: "before and after", From: at(-5), To: at(20), Class: "fault"},
			{Lane: "a", Label: "overlaps", From: at(2), To: at(3), Class: "fault"},
			{Lane: "b", Label: "late", From: at(8), To: at(9), Class: "query"},
		},
		Marks: []Mark{{Label: "early line", At: at(1), Class: "cut"}, {Lane: "b", Label: "late kill", At: at(9.5), Class: "fault"}},
	}
	cases := []struct {
		name   string
		w      Window
		rects  []string // labels, in order
		lines  int
		points int
		lanes  []string
	}{
		{"whole axis", Window{at(0), at(10)}, []string{"late", "before and after", "overlaps"}, 1, 1, []string{"b", "a"}},
		{"the first half", Window{at(0), at(5)}, []string{"before and after", "overlaps"}, 1, 0, []string{"a"}},
		{"the last second", Window{at(9), at(10)}, []string{"late", "before and after"}, 0, 1, []string{"b", "a"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := c.layout(tc.w, false, false)
			var labels, lanes []string
			for _, r := range g.Rects {
				labels = append(labels, r.Label)
				require.GreaterOrEqual(t, r.X, g.PlotX, r.Label)
				require.LessOrEqual(t, r.X+r.W, g.PlotX+g.PlotW+0.001, r.Label)
				require.GreaterOrEqual(t, r.Y, g.Top, r.Label)
				require.LessOrEqual(t, r.Y+r.H, g.Bottom, r.Label)
			}
			for _, l := range g.Lanes {
				lanes = append(lanes, l.Name)
			}
			require.Equal(t, tc.rects, labels)
			require.Equal(t, tc.lanes, lanes)
			require.Len(t, g.Lines, tc.lines)
			require.Len(t, g.Points, tc.points)
			for _, r := range g.Rects {
				if r.Label == "before and after" {
					require.InDelta(t, g.PlotX, r.X, 0.001, "clipped at the start")
					require.InDelta(t, g.PlotX+g.PlotW, r.X+r.W, 0.001, "clipped at the end")
				}
			}
			for _, tk := range g.Ticks {
				require.GreaterOrEqual(t, tk.X, g.PlotX-0.001)
				require.LessOrEqual(t, tk.X, g.PlotX+g.PlotW+0.001)
			}
		})
	}
	g := c.layout(Window{at(0), at(10)}, false, false)
	var ys []float64
	for _, r := range g.Rects {
		if r.Label != "late" {
			ys = append(ys, r.Y)
		}
	}
	require.Len(t, ys, 2)
	require.NotEqual(t, ys[0], ys[1], "overlapping spans share a row")
}

// TestHTMLZoom: the restore is zoomed on only when short beside the drill;
// a disaster just before it is in the window.
func TestHTMLZoom(t *testing.T) {
	cases := []struct {
		name     string
		end      float64
		disaster time.Time
		zoomed   bool
		from     time.Time
	}{
		{"short restore in a long drill", 100, time.Time{}, true, at(49.75)},
		{"with the disaster just before", 100, at(48), true, at(47.65)},
		{"the disaster long before", 100, at(10), true, at(49.75)},
		{"restore is most of the drill", 12, time.Time{}, false, time.Time{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := Chart{Start: at(0), End: at(tc.end)}
			c.zoomOn(Window{at(50), at(55)}, tc.disaster)
			require.Equal(t, tc.zoomed, !c.Zoom.IsZero())
			if tc.zoomed {
				require.WithinDuration(t, tc.from, c.Zoom.From, time.Millisecond)
			}
		})
	}
}

// TestHTMLDrillChart builds the chart of a drill's records: an unhealed
// fault runs to the end, a job never seen finished to the disaster, the
// cut is the restored snapshot's, the figures are report.md's.
func TestHTMLDrillChart(t *testing.T) {
	snap := harness.Snapshot{Name: "automated_cluster_snapshot_" + strconv.FormatInt(at(30).UnixMilli(), 10), FEJournalID: 77}
	r := &drillRun{
		d:     &Drill{Name: "storage-outage", Description: "storage is down\n"},
		begun: at(0), disaster: at(45), expected: &snap,
		res: &DrillResult{Verdict: Unknown, Error: "timeout", Seed: 5, Snapshot: &snap,
			Restore: &harness.RestoreTimes{Started: at(46), FirstQuery: 2 * time.Second, AllServing: 3 * time.Second},
			Checks:  map[string]*CutCheck{"orders": {Sent: 10, Acknowledged: 9, Present: 8, LostAcknowledged: 1, LastInside: at(29)}}},
		timeline: []Event{{At: at(0), Kind: "step", What: "drill"}, {At: at(60), Kind: "check", What: "UNKNOWN"}},
		faults: []faultRecord{
			{At: at(5), Until: at(15), What: "object storage down", Lasting: true},
			{At: at(20), What: "pause cn1", Lasting: true},
			{At: at(45), What: "total loss: kill -9 of every FE and CN"},
		},
		jobs: map[string]*jobRecord{
			"j1": {Name: "j1", Created: at(8), Finished: at(12), State: "ERROR"},
			"j2": {Name: "j2", Created: at(40), State: "RUNNING"},
		},
	}
	c := r.chart()
	require.Equal(t, "drill storage-outage", c.Title)
	require.Equal(t, "storage is down", c.Description)
	require.Equal(t, []string{"could not finish: timeout"}, c.Failures)
	byLabel := map[string]Span{}
	for _, s := range c.Spans {
		byLabel[s.Label] = s
	}
	require.Equal(t, Span{Lane: "faults", Label: "object storage down", From: at(5), To: at(15), Class: "fault"}, byLabel["object storage down"])
	require.Equal(t, Span{Lane: "faults", Label: "pause cn1 (not healed)", From: at(20), To: at(60), Class: "fault", Open: true}, byLabel["pause cn1 (not healed)"])
	require.Equal(t, Span{Lane: "snapshot jobs", Label: "j1 ERROR", From: at(8), To: at(12), Class: "job-error"}, byLabel["j1 ERROR"])
	require.Equal(t, Span{Lane: "snapshot jobs", Label: "j2 RUNNING", From: at(40), To: at(45), Class: "job-other", Open: true}, byLabel["j2 RUNNING"])
	require.Contains(t, byLabel, "all nodes serving after 3s")
	require.Contains(t, c.Marks, Mark{Lane: "faults", Label: "total loss: kill -9 of every FE and CN", At: at(45), Class: "fault"})
	require.Contains(t, c.Marks, Mark{Label: "cut: " + snap.Name, At: at(30), Class: "cut"})
	require.Contains(t, c.Marks, Mark{Label: "disaster", At: at(45), Class: "disaster"})
	require.Equal(t, []Figure{
		{Name: "RTO", Value: "2s", Note: "to the first query; 3s to all nodes serving"},
		{Name: "RPO orders", Value: "1 lost", Note: "acknowledged loads; 16s between the last write inside the snapshot and the disaster", Bad: true},
	}, c.Figures)
	require.False(t, c.Zoom.IsZero(), "a restore of 4 s in a drill of 60 s is zoomed on")
	out := renderString(t, c)
	require.Contains(t, out, `<span class="badge unknown">UNKNOWN</span>`)
	require.Contains(t, out, "<td>workload orders</td><td>10 sent, 9 acknowledged, 8 present; 1 acknowledged lost</td>")
	require.Contains(t, out, ">j1 ERROR</text>", "a few jobs are labelled beside their spans")

	for i := range 10 {
		n := "many" + strconv.Itoa(i)
		r.jobs[n] = &jobRecord{Name: n, Created: at(float64(i)), Finished: at(float64(i) + 0.5), State: "FINISHED"}
	}
	out = renderString(t, r.chart())
	require.Contains(t, out, "<title>many7 FINISHED: 7.000 s to 7.500 s</title>", "each job has its tooltip")
	require.NotContains(t, out, ">many7 FINISHED</text>", "many jobs are not labelled beside their spans")
}

// TestHTMLDemoChart builds the demo's chart: the kill, the cut, the
// disaster, the phases and the figures.
func TestHTMLDemoChart(t *testing.T) {
	snap := harness.Snapshot{Name: "automated_cluster_snapshot_" + strconv.FormatInt(at(20).UnixMilli(), 10), FEJournalID: 9, StarMgrJournalID: 4}
	res := &DemoResult{Seed: 3, Verdict: "PASS", Snapshot: snap, Disaster: at(23), Writes: 30, Acknowledged: 28, Restored: 25, RPO: 1500 * time.Millisecond,
		Times: harness.RestoreTimes{Started: at(24), Download: time.Second, FirstQuery: 2 * time.Second, AllServing: 4 * time.Second}}
	c := demoChart(res, []Event{{At: at(0), Kind: "step", What: "demo"}, {At: at(30), Kind: "check", What: "PASS"}})
	require.Equal(t, at(0), c.Start)
	require.Equal(t, at(30), c.End)
	require.Contains(t, c.Marks, Mark{Label: "cut: " + snap.Name, At: at(20), Class: "cut"})
	require.Contains(t, c.Marks, Mark{Label: "disaster", At: at(23), Class: "disaster"})
	require.Len(t, c.Spans, 3)
	require.Equal(t, "RTO", c.Figures[0].Name)
	require.Equal(t, "2s", c.Figures[0].Value)
	require.Equal(t, Figure{Name: "RPO", Value: "0 lost", Note: "acknowledged loads; 1.5s between the last write inside the snapshot and the disaster"}, c.Figures[1])
	require.Contains(t, c.Summary, Row{"loads sent / acknowledged / restored", "30 / 28 / 25"})
	out := renderString(t, c)
	require.Contains(t, out, `<span class="badge pass">PASS</span>`)
	require.Contains(t, out, ">download 1s</text>")
}

// TestHTMLReportInChromium renders a report in headless Chromium and checks
// the screenshot is drawn: not blank, in several colours.
func TestHTMLReportInChromium(t *testing.T) {
	bin := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless_shell"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no chromium binary (chromium, chromium-browser, google-chrome, headless_shell) on PATH; CI must have one")
		}
		t.Skip("no chromium binary (chromium, chromium-browser, google-chrome, headless_shell) on PATH: install chromium to render report.html")
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	require.NoError(t, writeHTMLReport(page, sampleChart()))
	shot := filepath.Join(dir, "report.png")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--screenshot="+shot, "--window-size=1400,1000", "file://"+page)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	f, err := os.Open(shot)
	require.NoError(t, err, "no screenshot: %s", out)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	require.Equal(t, image.Rect(0, 0, 1400, 1000), img.Bounds())
	colours := map[[3]uint32]bool{}
	nonWhite := 0
	for y := 0; y < 1000; y += 2 {
		for x := 0; x < 1400; x += 2 {
			r, g, b, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 12, g >> 12, b >> 12}] = true
			if r < 0xf000 || g < 0xf000 || b < 0xf000 {
				nonWhite++
			}
		}
	}
	require.Greater(t, len(colours), 20, "the screenshot has too few colours: blank?")
	require.Greater(t, nonWhite, 1400*1000/4/50, "the screenshot is almost all white")
}
