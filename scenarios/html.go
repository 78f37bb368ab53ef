package scenarios

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/minirocks/minirocks/harness"
)

// Chart is what report.html shows of one drill: a pure description that
// renderHTMLReport draws, so a chart can be built by hand.
type Chart struct {
	// Title and Description head the page.
	Title, Description string
	// Verdict is PASS, FAIL or UNKNOWN (any other text shows as UNKNOWN's
	// colour); Failures say what differed or why the drill stopped.
	Verdict  string
	Failures []string
	Seed     uint64
	// Start and End bound the time axis; times are shown as seconds from
	// Start.
	Start, End time.Time
	// Lanes orders the swim lanes; lanes of spans and marks not listed
	// follow in the order they first appear.
	Lanes []string
	Spans []Span
	Marks []Mark
	// Zoom, when set, is drawn a second time on its own axis (the restore,
	// when it is short beside the whole drill).
	Zoom Window
	// Figures are the headline numbers (RPO, RTO).
	Figures []Figure
	// Summary are key/value rows.
	Summary []Row
	// Timeline is every event of the drill.
	Timeline []Event
}

// Span is something that lasted: a fault, a snapshot job, a restore phase.
type Span struct {
	Lane, Label string
	From, To    time.Time
	// Class picks the colour: fault, job-finished, job-error, job-deleted,
	// job-other, download, verify, rebuild, query, serving.
	Class string
	// Open says the span had not ended when it was last seen (a fault
	// never healed, a job still running): it is drawn to To with a dashed
	// edge.
	Open bool
	// Quiet spans show their label only where it fits inside them (many
	// short snapshot jobs); their tooltip always has it.
	Quiet bool
}

// Mark is an instant: in a lane (a kill) or, when Lane is "", a line
// across every lane (the snapshot's cut, the disaster).
type Mark struct {
	Lane, Label string
	At          time.Time
	// Class picks the colour: fault, cut, expected, disaster.
	Class string
}

// Window is an interval of the time axis.
type Window struct{ From, To time.Time }

// IsZero says the window is not set.
func (w Window) IsZero() bool { return w.From.IsZero() && w.To.IsZero() }

// Figure is a headline number: RPO, RTO.
type Figure struct {
	Name, Value, Note string
	// Bad colours the figure red (acknowledged loads lost).
	Bad bool
}

// Row is one key/value row of the summary table.
type Row struct{ Key, Value string }

// Geometry of the SVG time charts, in user units.
const (
	svgWidth   = 1200.0
	svgGutter  = 130.0 // lane names
	svgRight   = 24.0
	svgRowH    = 24.0 // one sub-row of a lane
	svgBarH    = 16.0
	svgHeadRow = 16.0 // one row of labels of the vertical lines
	svgAxisH   = 34.0
	charW      = 6.4 // estimated width of a character at 11px
)

// svgChart is a time chart laid out.
type svgChart struct {
	Width, Height float64
	PlotX, PlotW  float64
	Top, Bottom   float64 // of the lanes
	TickY2        float64
	AxisLabelY    float64
	Lanes         []svgLane
	Ticks         []svgTick
	Rects         []svgRect
	Points        []svgPoint
	Lines         []svgLine
	Shade         *svgRect // the zoomed window on the full chart
}

type svgLane struct {
	Name        string
	Y, H, TextY float64
	Odd         bool
}

type svgTick struct {
	X     float64
	Label string
}

type svgRect struct {
	X, Y, W, H     float64
	Class, Title   string
	Label          string
	LabelX, LabelY float64
	Inside, Open   bool
}

type svgPoint struct {
	X, Y           float64
	Class, Title   string
	Label          string
	LabelX, LabelY float64
}

// Diamond is the marker's outline.
func (p svgPoint) Diamond() string {
	f := svgNum
	return f(p.X) + "," + f(p.Y-7) + " " + f(p.X+6) + "," + f(p.Y) + " " + f(p.X) + "," + f(p.Y+7) + " " + f(p.X-6) + "," + f(p.Y)
}

type svgLine struct {
	X, Y1, Y2      float64
	Class, Label   string
	LabelX, LabelY float64
	Anchor         string
}

// secs is t as seconds from start.
func secs(t, start time.Time) float64 { return t.Sub(start).Seconds() }

// fmtSecs formats seconds for the page: "12.345 s".
func fmtSecs(s float64) string { return strconv.FormatFloat(s, 'f', 3, 64) + " s" }

// fmtDur formats a duration as report.md does.
func fmtDur(d time.Duration) string { return d.Round(time.Millisecond).String() }

// textW is the estimated width of s at 11px.
func textW(s string) float64 { return float64(len([]rune(s)))*charW + 4 }

// packer assigns items to the first sub-row where they overlap nothing.
type packer struct{ rows [][][2]float64 }

func (p *packer) place(x0, x1 float64) int {
	for i, row := range p.rows {
		free := true
		for _, iv := range row {
			if x0 < iv[1] && iv[0] < x1 {
				free = false
				break
			}
		}
		if free {
			p.rows[i] = append(p.rows[i], [2]float64{x0, x1})
			return i
		}
	}
	p.rows = append(p.rows, [][2]float64{{x0, x1}})
	return len(p.rows) - 1
}

// niceStep is a tick step of 1, 2 or 5 times a power of ten giving about
// n ticks over span seconds.
func niceStep(span float64, n int) float64 {
	if span <= 0 {
		return 1
	}
	raw := span / float64(n)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// lanes is the order of the chart's lanes.
func (c Chart) lanes() []string {
	out := slices.Clone(c.Lanes)
	add := func(l string) {
		if l != "" && !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	for _, s := range c.Spans {
		add(s.Lane)
	}
	for _, m := range c.Marks {
		add(m.Lane)
	}
	return out
}

// layout lays the chart out over the window w of its axis; spans and
// marks outside it are left out, spans across its edges clipped. With
// shade the zoom window is shaded. Lanes with nothing in the window are
// left out unless all is set.
func (c Chart) layout(w Window, shade, all bool) svgChart {
	from, to := secs(w.From, c.Start), secs(w.To, c.Start)
	if to <= from {
		to = from + 1
	}
	g := svgChart{Width: svgWidth, PlotX: svgGutter, PlotW: svgWidth - svgGutter - svgRight}
	x := func(s float64) float64 { return g.PlotX + (s-from)/(to-from)*g.PlotW }
	clamp := func(v float64) float64 { return math.Max(g.PlotX, math.Min(g.PlotX+g.PlotW, v)) }
	right := g.PlotX + g.PlotW

	// The labels of the vertical lines go in rows above the lanes.
	var head packer
	type pendingLine struct {
		svgLine
		row int
	}
	var lines []pendingLine
	for _, m := range c.Marks {
		if m.Lane != "" {
			continue
		}
		s := secs(m.At, c.Start)
		if s < from || s > to {
			continue
		}
		lx := x(s)
		l := svgLine{X: lx, Class: m.Class, Label: m.Label, LabelX: lx + 4, Anchor: "start"}
		x0, x1 := lx, lx+textW(m.Label)+4
		if x1 > right {
			l.LabelX, l.Anchor = lx-4, "end"
			x0, x1 = lx-textW(m.Label)-4, lx
		}
		lines = append(lines, pendingLine{l, head.place(x0, x1)})
	}
	top := 8 + float64(len(head.rows))*svgHeadRow + 4
	g.Top = top

	y := top
	for i, name := range c.lanes() {
		var p packer
		var rects []svgRect
		var points []svgPoint
		var rows []int
		var rowsP []int
		for _, s := range c.Spans {
			if s.Lane != name {
				continue
			}
			a, b := secs(s.From, c.Start), secs(s.To, c.Start)
			if b < a {
				a, b = b, a
			}
			if b < from || a > to {
				continue
			}
			x0, x1 := clamp(x(a)), clamp(x(b))
			if x1-x0 < 2 {
				x1 = x0 + 2
			}
			r := svgRect{X: x0, W: x1 - x0, H: svgBarH, Class: s.Class, Label: s.Label, Open: s.Open,
				Title: fmt.Sprintf("%s: %s to %s", s.Label, fmtSecs(a), fmtSecs(b))}
			if s.Open {
				r.Title += " (not ended)"
			}
			end := x1
			if tw := textW(s.Label); tw+6 <= x1-x0 {
				r.Inside, r.LabelX = true, x0+4
			} else if s.Quiet {
				r.Label = ""
			} else {
				r.LabelX = x1 + 4
				end = x1 + 4 + tw
				if end > right+svgRight && x0-4-tw >= g.PlotX {
					// No room on the right: the label goes left of the span.
					r.LabelX = x0 - 4 - tw
					rows = append(rows, p.place(r.LabelX, x1+2))
					rects = append(rects, r)
					continue
				}
			}
			rows = append(rows, p.place(x0, end+2))
			rects = append(rects, r)
		}
		for _, m := range c.Marks {
			if m.Lane != name {
				continue
			}
			s := secs(m.At, c.Start)
			if s < from || s > to {
				continue
			}
			px := x(s)
			pt := svgPoint{X: px, Class: m.Class, Label: m.Label, LabelX: px + 8, Title: fmt.Sprintf("%s at %s", m.Label, fmtSecs(s))}
			x0, x1 := px-6, px+8+textW(m.Label)
			if x1 > right+svgRight {
				pt.LabelX = px - 8 - textW(m.Label)
				x0, x1 = pt.LabelX, px+6
			}
			rowsP = append(rowsP, p.place(x0, x1+2))
			points = append(points, pt)
		}
		if len(rects) == 0 && len(points) == 0 && !all {
			continue
		}
		n := max(1, len(p.rows))
		h := float64(n)*svgRowH + 8
		for j := range rects {
			rects[j].Y = y + 4 + float64(rows[j])*svgRowH + (svgRowH-svgBarH)/2
			rects[j].LabelY = rects[j].Y + svgBarH - 4
		}
		for j := range points {
			points[j].Y = y + 4 + float64(rowsP[j])*svgRowH + svgRowH/2
			points[j].LabelY = points[j].Y + 4
		}
		g.Lanes = append(g.Lanes, svgLane{Name: name, Y: y, H: h, TextY: y + h/2 + 4, Odd: i%2 == 1})
		g.Rects = append(g.Rects, rects...)
		g.Points = append(g.Points, points...)
		y += h
	}
	if len(g.Lanes) == 0 {
		y += svgRowH
	}
	g.Bottom = y
	for _, l := range lines {
		l.Y1, l.Y2 = top-2, y
		l.LabelY = 8 + float64(l.row)*svgHeadRow + 11
		g.Lines = append(g.Lines, l.svgLine)
	}
	step := niceStep(to-from, 10)
	digits := 0
	if step < 1 {
		digits = int(math.Ceil(-math.Log10(step)))
	}
	for t := math.Ceil(from/step) * step; t <= to+step/1e6; t += step {
		g.Ticks = append(g.Ticks, svgTick{X: x(t), Label: strconv.FormatFloat(t, 'f', digits, 64)})
	}
	g.TickY2 = y + 5
	g.AxisLabelY = y + 18
	g.Height = y + svgAxisH
	if shade && !c.Zoom.IsZero() {
		a, b := clamp(x(secs(c.Zoom.From, c.Start))), clamp(x(secs(c.Zoom.To, c.Start)))
		g.Shade = &svgRect{X: a, Y: top - 2, W: math.Max(b-a, 2), H: y - top + 2}
	}
	return g
}

// htmlPage is what the template gets.
type htmlPage struct {
	Chart
	VerdictClass string
	Full, Zoomed *svgChart
	ZoomFrom     string
	ZoomTo       string
	Events       []htmlEvent
	Legend       []Row // class, text
}

type htmlEvent struct {
	At, Kind, What, KindClass string
}

// verdictClass is the badge's class of a verdict.
func verdictClass(v string) string {
	switch v {
	case Pass:
		return "pass"
	case Fail:
		return "fail"
	}
	return "unknown"
}

var knownKinds = map[string]bool{"step": true, "fault": true, "snapshot": true, "restore": true, "check": true}

// renderHTMLReport writes c as one self-contained HTML page: inline CSS
// and SVG, no script, nothing fetched.
func renderHTMLReport(w io.Writer, c Chart) error {
	if c.End.Before(c.Start) || c.End.Equal(c.Start) {
		c.End = c.Start.Add(time.Second)
	}
	full := c.layout(Window{c.Start, c.End}, true, true)
	p := htmlPage{Chart: c, VerdictClass: verdictClass(c.Verdict), Full: &full}
	if p.Verdict == "" {
		p.Verdict = Unknown
	}
	if !c.Zoom.IsZero() {
		z := c.layout(c.Zoom, false, false)
		p.Zoomed = &z
		p.ZoomFrom, p.ZoomTo = fmtSecs(secs(c.Zoom.From, c.Start)), fmtSecs(secs(c.Zoom.To, c.Start))
	}
	for _, e := range c.Timeline {
		k := "other"
		if knownKinds[e.Kind] {
			k = e.Kind
		}
		p.Events = append(p.Events, htmlEvent{At: fmt.Sprintf("+%.3f s", secs(e.At, c.Start)), Kind: e.Kind, What: e.What, KindClass: k})
	}
	seen := map[string]bool{}
	for _, s := range c.Spans {
		if !seen[s.Class] {
			seen[s.Class] = true
			p.Legend = append(p.Legend, Row{s.Class, legendText(s.Class)})
		}
	}
	return reportTemplate.Execute(w, p)
}

// legendText names a span class in the legend.
func legendText(class string) string {
	switch class {
	case "fault":
		return "fault"
	case "job-finished":
		return "snapshot job FINISHED"
	case "job-error":
		return "snapshot job ERROR"
	case "job-deleted":
		return "snapshot job DELETED"
	case "job-other":
		return "snapshot job (other state)"
	case "download", "verify", "rebuild":
		return "restore: " + class
	case "query":
		return "leader's start to first query"
	case "serving":
		return "leader's start to all nodes serving"
	}
	return class
}

// writeHTMLReport writes c to path.
func writeHTMLReport(path string, c Chart) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := renderHTMLReport(f, c); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// jobClass is the class of a snapshot job in state.
func jobClass(state string) string {
	switch state {
	case "FINISHED":
		return "job-finished"
	case "ERROR":
		return "job-error"
	case "DELETED":
		return "job-deleted"
	}
	return "job-other"
}

// restoreSpans are the restore's phases on lane "restore": download,
// verify and rebuild laid end to end from the leader's start (the leader
// logs their lengths), and the leader's start to its first query and to
// every node serving. The window returned covers them all.
func restoreSpans(t harness.RestoreTimes) ([]Span, Window) {
	s := t.Started
	var out []Span
	at := s
	for _, ph := range []struct {
		name string
		d    time.Duration
	}{{"download", t.Download}, {"verify", t.Verify}, {"rebuild", t.Rebuild}} {
		if ph.d <= 0 {
			continue
		}
		out = append(out, Span{Lane: "restore", Label: ph.name + " " + fmtDur(ph.d), From: at, To: at.Add(ph.d), Class: ph.name})
		at = at.Add(ph.d)
	}
	end := at
	if t.FirstQuery > 0 {
		out = append(out, Span{Lane: "restore", Label: "first query after " + fmtDur(t.FirstQuery), From: s, To: s.Add(t.FirstQuery), Class: "query"})
		end = later(end, s.Add(t.FirstQuery))
	}
	if t.AllServing > 0 {
		out = append(out, Span{Lane: "restore", Label: "all nodes serving after " + fmtDur(t.AllServing), From: s, To: s.Add(t.AllServing), Class: "serving"})
		end = later(end, s.Add(t.AllServing))
	}
	return out, Window{s, end}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// zoomOn sets the chart's zoom to w (and the disaster just before it, when
// near) with a margin, when w is short beside the whole axis.
func (c *Chart) zoomOn(w Window, disaster time.Time) {
	if w.IsZero() || !w.To.After(w.From) {
		return
	}
	if !disaster.IsZero() && disaster.Before(w.From) && w.From.Sub(disaster) < w.To.Sub(w.From) {
		w.From = disaster
	}
	d := w.To.Sub(w.From)
	if d*4 > c.End.Sub(c.Start) {
		return
	}
	pad := d / 20
	c.Zoom = Window{w.From.Add(-pad), w.To.Add(pad)}
}

// axis sets the chart's axis from the timeline: its first event to its
// last or the last span's end.
func (c *Chart) axis(timeline []Event, begun time.Time) {
	c.Start, c.End = begun, begun
	if len(timeline) > 0 {
		c.Start = timeline[0].At
		c.End = timeline[len(timeline)-1].At
	}
	if c.Start.IsZero() {
		c.Start = time.Now()
	}
	c.End = later(c.End, c.Start)
}

// quietJobs is how many snapshot jobs a chart labels beside their spans;
// with more, a job's label shows only where it fits inside its span.
const quietJobs = 6

// chart is the drill's report as report.html draws it: the figures
// report.md prints, the faults, snapshot jobs, the cut, the disaster and
// the restore's phases.
func (r *drillRun) chart() Chart {
	res := r.res
	c := Chart{
		Title: "drill " + r.d.Name, Description: strings.TrimSpace(r.d.Description),
		Verdict: res.Verdict, Failures: slices.Clone(res.Failures), Seed: res.Seed,
		Lanes: []string{"faults", "snapshot jobs", "restore"}, Timeline: r.timeline,
	}
	if res.Error != "" {
		c.Failures = append(c.Failures, "could not finish: "+res.Error)
	}
	c.axis(r.timeline, r.begun)
	for _, f := range r.faults {
		if !f.Lasting {
			c.Marks = append(c.Marks, Mark{Lane: "faults", Label: f.What, At: f.At, Class: "fault"})
			continue
		}
		s := Span{Lane: "faults", Label: f.What, From: f.At, To: f.Until, Class: "fault"}
		if s.To.IsZero() {
			s.To, s.Open = c.End, true
			s.Label += " (not healed)"
		}
		c.Spans = append(c.Spans, s)
	}
	names := make([]string, 0, len(r.jobs))
	for n := range r.jobs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		j := r.jobs[n]
		s := Span{Lane: "snapshot jobs", Label: j.Name + " " + j.State, From: j.Created, To: j.Finished, Class: jobClass(j.State), Quiet: len(names) > quietJobs}
		if s.To.IsZero() {
			// Not seen finished: it ran until the disaster ended the
			// cluster it ran on, or until the end.
			s.To, s.Open = c.End, true
			if !r.disaster.IsZero() && j.Created.Before(r.disaster) {
				s.To = r.disaster
			}
		}
		c.Spans = append(c.Spans, s)
	}
	c.Summary = append(c.Summary, Row{"seed", fmt.Sprintf("%d (fixes the faults' targets and the workloads' rows; not the scheduling of the processes)", res.Seed)})
	if s := res.Snapshot; s != nil && res.Restore != nil {
		c.Marks = append(c.Marks, Mark{Label: "cut: " + s.Name, At: s.Created(), Class: "cut"})
		if e := r.expected; e != nil && e.Name != s.Name {
			c.Marks = append(c.Marks, Mark{Label: "expected cut: " + e.Name, At: e.Created(), Class: "expected"})
		}
		c.Summary = append(c.Summary,
			Row{"snapshot restored", fmt.Sprintf("%s, fe_journal_id %d, starmgr_journal_id %d", s.Name, s.FEJournalID, s.StarMgrJournalID)},
			Row{"snapshot's cut", fmt.Sprintf("%s (+%s)", s.Created().Format("15:04:05.000"), fmtSecs(secs(s.Created(), c.Start)))})
		if e := r.expected; e != nil && e.Name != s.Name {
			c.Summary = append(c.Summary, Row{"snapshot the checks expect", e.Name})
		}
	}
	if !r.disaster.IsZero() {
		c.Marks = append(c.Marks, Mark{Label: "disaster", At: r.disaster, Class: "disaster"})
		c.Summary = append(c.Summary, Row{"disaster", fmt.Sprintf("%s (+%s)", r.disaster.Format("15:04:05.000"), fmtSecs(secs(r.disaster, c.Start)))})
	}
	if t := res.Restore; t != nil {
		spans, w := restoreSpans(*t)
		c.Spans = append(c.Spans, spans...)
		c.End = later(c.End, w.To)
		c.zoomOn(w, r.disaster)
		c.Figures = append(c.Figures, Figure{Name: "RTO", Value: fmtDur(t.FirstQuery),
			Note: fmt.Sprintf("to the first query; %s to all nodes serving", fmtDur(t.AllServing))})
		c.Summary = append(c.Summary, Row{"restore phases", fmt.Sprintf("download %s, verify %s, rebuild %s; first query %s, all nodes serving %s after the leader's start",
			fmtDur(t.Download), fmtDur(t.Verify), fmtDur(t.Rebuild), fmtDur(t.FirstQuery), fmtDur(t.AllServing))})
	}
	wls := make([]string, 0, len(res.Checks))
	for n := range res.Checks {
		wls = append(wls, n)
	}
	sort.Strings(wls)
	for _, n := range wls {
		cc := res.Checks[n]
		f := Figure{Name: "RPO " + n, Value: fmt.Sprintf("%d lost", cc.LostAcknowledged), Note: "acknowledged loads", Bad: cc.LostAcknowledged > 0}
		if !r.disaster.IsZero() && !cc.LastInside.IsZero() {
			f.Note += fmt.Sprintf("; %s between the last write inside the snapshot and the disaster", fmtDur(r.disaster.Sub(cc.LastInside)))
		}
		c.Figures = append(c.Figures, f)
		c.Summary = append(c.Summary, Row{"workload " + n, fmt.Sprintf("%d sent, %d acknowledged, %d present; %d acknowledged lost", cc.Sent, cc.Acknowledged, cc.Present, cc.LostAcknowledged)})
	}
	return c
}

// demoChart is the demo's report as report.html draws it.
func demoChart(res *DemoResult, timeline []Event) Chart {
	c := Chart{
		Title: "minirocks demo: total loss and restore from an automated cluster snapshot",
		Description: "A cluster of 3 FEs and 3 CNs takes automated cluster snapshots while clients load labelled rows; " +
			"every machine is lost at a seeded moment; the cluster is restored onto new hosts from object storage alone, " +
			"and the table is checked against the load history at the snapshot's cut.",
		Verdict: res.Verdict, Failures: slices.Clone(res.Failures), Seed: res.Seed,
		Lanes: []string{"faults", "restore"}, Timeline: timeline,
	}
	c.axis(timeline, res.Disaster)
	s := res.Snapshot
	c.Marks = append(c.Marks,
		Mark{Lane: "faults", Label: "total loss: kill -9 of every FE and CN", At: res.Disaster, Class: "fault"},
		Mark{Label: "cut: " + s.Name, At: s.Created(), Class: "cut"},
		Mark{Label: "disaster", At: res.Disaster, Class: "disaster"})
	spans, w := restoreSpans(res.Times)
	c.Spans = append(c.Spans, spans...)
	c.End = later(c.End, w.To)
	c.zoomOn(w, res.Disaster)
	c.Figures = []Figure{
		{Name: "RTO", Value: fmtDur(res.Times.FirstQuery), Note: fmt.Sprintf("to the first query on the restored leader; %s until all 6 nodes serve", fmtDur(res.Times.AllServing))},
		{Name: "RPO", Value: fmt.Sprintf("%d lost", res.LostAcknowledged), Bad: res.LostAcknowledged > 0,
			Note: fmt.Sprintf("acknowledged loads; %s between the last write inside the snapshot and the disaster", fmtDur(res.RPO))},
	}
	c.Summary = []Row{
		{"seed", fmt.Sprintf("%d (fixes the workload's rows and the disaster's moment; not the scheduling of the processes)", res.Seed)},
		{"snapshot restored", fmt.Sprintf("%s, fe_journal_id %d, starmgr_journal_id %d", s.Name, s.FEJournalID, s.StarMgrJournalID)},
		{"loads sent / acknowledged / restored", fmt.Sprintf("%d / %d / %d", res.Writes, res.Acknowledged, res.Restored)},
		{"restore phases", fmt.Sprintf("download %s, verify %s, rebuild %s", fmtDur(res.Times.Download), fmtDur(res.Times.Verify), fmtDur(res.Times.Rebuild))},
	}
	return c
}

func svgNum(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{"n": svgNum}).Parse(reportHTML))

const reportHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} — {{.Verdict}}</title>
<style>
:root { --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #fff; }
main { max-width: 1320px; margin: 0 auto; padding: 24px 28px 48px; }
header { display: flex; align-items: center; gap: 16px; flex-wrap: wrap; }
h1 { font-size: 24px; margin: 0; }
h2 { font-size: 17px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
.badge { font-weight: 700; font-size: 15px; letter-spacing: .05em; padding: 3px 12px; border-radius: 999px; color: #fff; }
.badge.pass { background: #1a7f37; } .badge.fail { background: #cf222e; } .badge.unknown { background: #bf8700; }
.desc { color: var(--muted); max-width: 100ch; margin: 8px 0 4px; }
.seed { color: var(--muted); font-size: 13px; }
.failures { border: 1px solid #ff8182; background: #fff5f5; border-radius: 6px; padding: 8px 16px 8px 32px; margin: 12px 0; }
.failures li { margin: 2px 0; white-space: pre-wrap; word-break: break-word; }
.figures { display: flex; gap: 16px; flex-wrap: wrap; margin: 18px 0 6px; }
.figure { flex: 1 1 240px; border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; background: var(--bg); }
.figure .name { font-size: 12px; font-weight: 600; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); }
.figure .value { font-size: 30px; font-weight: 700; line-height: 1.2; }
.figure .note { font-size: 13px; color: var(--muted); }
.figure.bad { border-color: #ff8182; background: #fff5f5; } .figure.bad .value { color: #cf222e; }
svg.chart { width: 100%; height: auto; display: block; font: 11px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
svg .lane { fill: #fff; } svg .lane.odd { fill: var(--bg); }
svg .lanename { fill: var(--ink); font-weight: 600; font-size: 12px; }
svg .grid { stroke: #e6eaef; } svg .axis { stroke: #8c959f; } svg .tick { fill: var(--muted); }
svg .shade { fill: #fff8c5; opacity: .7; }
svg rect.span { stroke: rgba(0,0,0,.25); stroke-width: .6; }
svg rect.span.open { stroke-dasharray: 4 2; stroke: #57606a; stroke-width: 1.2; }
svg text.in { fill: #fff; font-weight: 600; } svg text.out { fill: var(--ink); }
svg .fault { fill: #e8590c; } svg .job-finished { fill: #2da44e; } svg .job-error { fill: #cf222e; }
svg .job-deleted { fill: #afb8c1; } svg .job-other { fill: #54aeff; }
svg .download { fill: #0969da; } svg .verify { fill: #1f6feb; } svg .rebuild { fill: #8250df; }
svg .query { fill: #6cb6ff; } svg .serving { fill: #b6e3ff; } svg text.in.serving-text { fill: var(--ink); }
svg line.cut { stroke: #0969da; stroke-width: 1.6; stroke-dasharray: 5 3; } svg text.cut { fill: #0969da; font-weight: 600; }
svg line.expected { stroke: #8250df; stroke-width: 1.6; stroke-dasharray: 2 3; } svg text.expected { fill: #8250df; font-weight: 600; }
svg line.disaster { stroke: #cf222e; stroke-width: 2; } svg text.disaster { fill: #cf222e; font-weight: 700; }
svg polygon.fault { stroke: #7c2d12; stroke-width: .8; }
.legend { display: flex; gap: 14px; flex-wrap: wrap; font-size: 12px; color: var(--muted); margin: 6px 0 0; }
.legend span::before { content: ""; display: inline-block; width: 12px; height: 10px; margin-right: 5px; border-radius: 2px; vertical-align: -1px; background: var(--c); }
.lg-fault { --c: #e8590c; } .lg-job-finished { --c: #2da44e; } .lg-job-error { --c: #cf222e; } .lg-job-deleted { --c: #afb8c1; }
.lg-job-other { --c: #54aeff; } .lg-download { --c: #0969da; } .lg-verify { --c: #1f6feb; } .lg-rebuild { --c: #8250df; }
.lg-query { --c: #6cb6ff; } .lg-serving { --c: #b6e3ff; }
.zoomnote { color: var(--muted); font-size: 13px; margin: 0 0 4px; }
table { border-collapse: collapse; width: 100%; }
td, th { text-align: left; vertical-align: top; padding: 5px 10px; border-bottom: 1px solid var(--line); }
th { background: var(--bg); font-weight: 600; }
table.summary td:first-child { font-weight: 600; white-space: nowrap; width: 1%; }
table.timeline td { font-size: 13px; }
table.timeline td.at { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: nowrap; color: var(--muted); text-align: right; width: 1%; }
table.timeline td.what { word-break: break-word; }
.kind { display: inline-block; min-width: 64px; text-align: center; font-size: 11px; font-weight: 600; padding: 1px 6px; border-radius: 4px; background: #eaeef2; color: #424a53; }
.kind.fault { background: #fff1e5; color: #bc4c00; } .kind.snapshot { background: #dafbe1; color: #116329; }
.kind.restore { background: #ddf4ff; color: #0550ae; } .kind.check { background: #fbefff; color: #6e40c9; }
</style>
</head>
<body>
<main>
<header><h1>{{.Title}}</h1><span class="badge {{.VerdictClass}}">{{.Verdict}}</span></header>
{{with .Description}}<p class="desc">{{.}}</p>{{end}}
<p class="seed">seed {{.Seed}}</p>
{{with .Failures}}<ul class="failures">{{range .}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{with .Figures}}<div class="figures">{{range .}}<div class="figure{{if .Bad}} bad{{end}}"><div class="name">{{.Name}}</div><div class="value">{{.Value}}</div><div class="note">{{.Note}}</div></div>{{end}}</div>{{end}}
<h2>What happened, seconds from the drill's start</h2>
{{template "svg" .Full}}
{{with .Legend}}<div class="legend">{{range .}}<span class="lg-{{.Key}}">{{.Value}}</span>{{end}}</div>{{end}}
{{if .Zoomed}}<h2>The restore, zoomed</h2>
<p class="zoomnote">From {{.ZoomFrom}} to {{.ZoomTo}} (the shaded band above).</p>
{{template "svg" .Zoomed}}{{end}}
<h2>Summary</h2>
<table class="summary">{{range .Summary}}<tr><td>{{.Key}}</td><td>{{.Value}}</td></tr>{{end}}</table>
<h2>Timeline</h2>
<table class="timeline"><tr><th>time</th><th>kind</th><th>what</th></tr>
{{range .Events}}<tr><td class="at">{{.At}}</td><td><span class="kind {{.KindClass}}">{{.Kind}}</span></td><td class="what">{{.What}}</td></tr>
{{end}}</table>
</main>
</body>
</html>
{{define "svg"}}<svg class="chart" viewBox="0 0 {{n .Width}} {{n .Height}}" role="img">
{{range .Lanes}}<rect class="lane{{if .Odd}} odd{{end}}" x="0" y="{{n .Y}}" width="{{n $.Width}}" height="{{n .H}}"/><text class="lanename" x="10" y="{{n .TextY}}">{{.Name}}</text>
{{end}}{{with .Shade}}<rect class="shade" x="{{n .X}}" y="{{n .Y}}" width="{{n .W}}" height="{{n .H}}"/>
{{end}}{{range .Ticks}}<line class="grid" x1="{{n .X}}" x2="{{n .X}}" y1="{{n $.Top}}" y2="{{n $.Bottom}}"/><line class="axis" x1="{{n .X}}" x2="{{n .X}}" y1="{{n $.Bottom}}" y2="{{n $.TickY2}}"/><text class="tick" x="{{n .X}}" y="{{n $.AxisLabelY}}" text-anchor="middle">{{.Label}}</text>
{{end}}<line class="axis" x1="{{n .PlotX}}" x2="{{n .Width}}" y1="{{n .Bottom}}" y2="{{n .Bottom}}"/>
{{range .Rects}}<g><title>{{.Title}}</title><rect class="span {{.Class}}{{if .Open}} open{{end}}" x="{{n .X}}" y="{{n .Y}}" width="{{n .W}}" height="{{n .H}}" rx="3"/>{{if .Label}}<text class="{{if .Inside}}in{{if eq .Class "serving" "query"}} serving-text{{end}}{{else}}out{{end}}" x="{{n .LabelX}}" y="{{n .LabelY}}">{{.Label}}</text>{{end}}</g>
{{end}}{{range .Points}}<g><title>{{.Title}}</title><polygon class="{{.Class}}" points="{{.Diamond}}"/><text class="out" x="{{n .LabelX}}" y="{{n .LabelY}}">{{.Label}}</text></g>
{{end}}{{range .Lines}}<line class="{{.Class}}" x1="{{n .X}}" x2="{{n .X}}" y1="{{n .Y1}}" y2="{{n .Y2}}"/><text class="{{.Class}}" x="{{n .LabelX}}" y="{{n .LabelY}}" text-anchor="{{.Anchor}}">{{.Label}}</text>
{{end}}</svg>{{end}}`
