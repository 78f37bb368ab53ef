package frontends

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/minirocks/minirocks/fe/catalog"
	"github.com/minirocks/minirocks/fe/journal"
	"github.com/minirocks/minirocks/internal/poll"
)

// noJournal is a journal with no leader and nothing applied.
type noJournal struct{}

func (noJournal) Leader() (string, string)                          { return "", "" }
func (noJournal) IsLeader() bool                                    { return false }
func (noJournal) Servers() ([]journal.Server, error)                { return nil, nil }
func (noJournal) AddFollower(context.Context, string, string) error { return nil }
func (noJournal) AddObserver(context.Context, string, string) error { return nil }
func (noJournal) RemoveNode(context.Context, string) error          { return nil }
func (noJournal) AppliedID() uint64                                 { return 0 }
func (noJournal) ImageID() uint64                                   { return 0 }
func (noJournal) WaitApplied(context.Context, uint64) error         { return nil }

type notLeading struct{}

func (notLeading) Leading() bool { return false }

// TestUnheardFEHeartbeatedBack: with an interval far longer than the test,
// an FE whose first heartbeat of another failed (that one was not up yet)
// sees it alive as soon as the other, once up, heartbeats it.
func TestUnheardFEHeartbeatedBack(t *testing.T) {
	cat := catalog.New()
	token := func() string { return "cluster-token" }
	type fe struct {
		svc *Service
		mux *journal.Mux
		f   catalog.Frontend
	}
	var fes []*fe
	for i, host := range []string{"127.0.0.1", "127.0.0.2"} {
		ln, err := net.Listen("tcp", host+":0")
		require.NoError(t, err)
		mux := journal.NewMux(ln)
		t.Cleanup(func() { mux.Close() })
		f := catalog.Frontend{Name: fmt.Sprintf("fe%d", i+1), Host: host, EditLogPort: ln.Addr().(*net.TCPAddr).Port, Role: catalog.RoleFollower}
		if i == 0 {
			require.NoError(t, cat.Apply(&catalog.BootstrapOp{ClusterID: "7", Frontend: f, Token: token()}))
		} else {
			require.NoError(t, cat.Apply(&catalog.AddFrontendOp{Frontend: f}))
		}
		svc := NewService(Config{Name: f.Name, Host: host, Catalog: cat, Journal: noJournal{}, Leader: notLeading{},
			Client: NewClient(token, func() string { return host }), Interval: func() time.Duration { return time.Hour }, Token: token})
		fes = append(fes, &fe{svc: svc, mux: mux, f: f})
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	t.Cleanup(func() { cancel(); <-done; <-done })
	run := func(s *Service) { s.Run(ctx); done <- struct{}{} }
	alive := func(s *Service, name string) error {
		for _, st := range s.Frontends() {
			if st.Name == name && st.Alive {
				return nil
			}
		}
		return fmt.Errorf("%s does not show %s alive", s.cfg.Name, name)
	}

	// fe1 runs first: its first heartbeat of fe2, not serving yet, fails.
	a, b := fes[0], fes[1]
	a.svc.Serve(a.mux.Listener(journal.TagRPC))
	t.Cleanup(a.svc.Close)
	go run(a.svc)
	poll.For(t, 10*time.Second, func() error {
		a.svc.mu.Lock()
		defer a.svc.mu.Unlock()
		if bt := a.svc.beats["fe2"]; bt == nil || bt.failures == 0 {
			return fmt.Errorf("fe1 has not tried fe2 yet")
		}
		return nil
	})
	// fe2 starts and heartbeats fe1, which heartbeats it back at once.
	b.svc.Serve(b.mux.Listener(journal.TagRPC))
	t.Cleanup(b.svc.Close)
	go run(b.svc)
	poll.For(t, 10*time.Second, func() error { return alive(b.svc, "fe1") })
	poll.For(t, 10*time.Second, func() error { return alive(a.svc, "fe2") })
}
