package frontends

import (
	"context"
	"sync"
	"time"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/computenodes"
	"github.com/minirocks/minirocks/fe/query"
)

// feBeat is what this FE learnt from its last heartbeats of another FE.
type feBeat struct {
	status        feStatus
	lastHeartbeat time.Time // last answered heartbeat
	failures      int       // consecutive unanswered heartbeats
	errMsg        string
}

// Run heartbeats the other FEs of the cluster from every FE (not only the
// leader), every heartbeat_timeout_second, so that SHOW FRONTENDS on any FE
// shows every FE's liveness and replayed journal id. Nothing of it is
// journaled. Between rounds it answers heartbeatUnheardFrom.
func (m *Service) Run(ctx context.Context) {
	for {
		m.heartbeatAll(ctx)
		round := time.NewTimer(m.cfg.Interval())
	wait:
		for {
			select {
			case <-ctx.Done():
				round.Stop()
				return
			case <-m.kick:
				m.heartbeatNew(ctx)
			case <-round.C:
				break wait
			}
		}
	}
}

func (m *Service) heartbeatAll(ctx context.Context) {
	fes := m.cat.Frontends()
	var wg sync.WaitGroup
	for _, f := range fes {
		if f.Name == m.cfg.Name {
			continue
		}
		wg.Add(1)
		go func(f *catalog.Frontend) {
			defer wg.Done()
			m.heartbeat(ctx, f)
		}(f)
	}
	wg.Wait()
	m.mu.Lock()
	for name := range m.beats {
		found := false
		for _, f := range fes {
			found = found || f.Name == name
		}
		if !found {
			delete(m.beats, name)
		}
	}
	m.mu.Unlock()
}

// heartbeat heartbeats one other FE and counts the outcome.
func (m *Service) heartbeat(ctx context.Context, f *catalog.Frontend) {
	hctx, cancel := context.WithTimeout(ctx, min(m.cfg.Interval(), 2*time.Second))
	defer cancel()
	var st feStatus
	err := m.cfg.Client.Call(hctx, f.Addr(), pathFEStatus, &statusRequest{}, &st)
	m.mu.Lock()
	defer m.mu.Unlock()
	b := m.beats[f.Name]
	if b == nil {
		b = &feBeat{}
		m.beats[f.Name] = b
	}
	if err == nil && st.Name != f.Name {
		err = errNotThatFE{want: f.Name, got: st.Name}
	}
	if err != nil {
		b.failures++
		b.errMsg = err.Error()
		return
	}
	b.status, b.lastHeartbeat, b.failures, b.errMsg = st, time.Now(), 0, ""
}

// unheard reports whether no heartbeat of the FE f has been answered yet.
// The caller holds m.mu.
func (m *Service) unheard(f *catalog.Frontend) bool {
	b := m.beats[f.Name]
	return b == nil || b.lastHeartbeat.IsZero()
}

// heartbeatUnheardFrom asks Run to heartbeat now, rather than at its next
// round (up to heartbeat_timeout_second away), the FEs on host that no
// heartbeat has reached yet. handleStatus calls it when such an FE
// heartbeats this one: it has just started (a follower that joined, or
// came back after a restore) and answers, so it shows alive here at once.
// FEs already heard from are left to the rounds, so how many failed
// heartbeats make one dead, and how soon, is unchanged; an FE that never
// answers costs no extra heartbeat. It does not block.
func (m *Service) heartbeatUnheardFrom(host string) {
	m.mu.Lock()
	want := false
	for _, f := range m.cat.Frontends() {
		want = want || (f.Host == host && f.Name != m.cfg.Name && m.unheard(f))
	}
	m.mu.Unlock()
	if !want {
		return
	}
	select {
	case m.kick <- struct{}{}:
	default: // a request is pending already
	}
}

// heartbeatNew starts a heartbeat of every other FE no heartbeat has
// reached yet, each on its own.
func (m *Service) heartbeatNew(ctx context.Context) {
	for _, f := range m.cat.Frontends() {
		m.mu.Lock()
		unheard := f.Name != m.cfg.Name && m.unheard(f)
		m.mu.Unlock()
		if unheard {
			go m.heartbeat(ctx, f)
		}
	}
}

// errNotThatFE: the address answered, but as another FE (a node restarted
// with a new meta dir, say).
type errNotThatFE struct{ want, got string }

func (e errNotThatFE) Error() string {
	return "the frontend at this address is " + e.got + ", not " + e.want
}

// Frontends describes, as SHOW FRONTENDS shows it, every registered FE with its role (the
// journal's leader shows as LEADER), whether it is in the journal's
// membership, and what heartbeats say of it.
func (n *Service) Frontends() []query.FrontendStatus {
	leaderID, _ := n.jr.Leader()
	members := map[string]bool{}
	if servers, err := n.jr.Servers(); err == nil {
		for _, s := range servers {
			members[s.ID] = true
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []query.FrontendStatus
	for _, f := range n.cat.Frontends() {
		st := query.FrontendStatus{
			Name: f.Name, Host: f.Host, EditLogPort: f.EditLogPort, Role: f.Role,
			IsLeader: f.Name == leaderID, ClusterID: n.cat.ClusterID(), Join: members[f.Name],
		}
		if st.IsLeader {
			st.Role = catalog.RoleLeader
		}
		var s *feStatus
		if f.Name == n.cfg.Name {
			s = n.localStatus()
			st.Alive, st.LastHeartbeat = true, time.Now()
		} else if b := n.beats[f.Name]; b != nil {
			if !b.lastHeartbeat.IsZero() {
				s = &b.status
				st.LastHeartbeat = b.lastHeartbeat
			}
			st.Alive = !b.lastHeartbeat.IsZero() && b.failures <= computenodes.HeartbeatRetryTimes
			st.ErrMsg = b.errMsg
		}
		if s != nil {
			st.HTTPPort, st.QueryPort, st.RPCPort = s.HTTPPort, s.QueryPort, s.RPCPort
			st.ReplayedJournalID, st.ImageJournalID = s.ReplayedJournalID, s.ImageJournalID
			st.Version = s.Version
			if s.StartTime > 0 {
				st.StartTime = time.UnixMilli(s.StartTime)
			}
		}
		out = append(out, st)
	}
	return out
}
