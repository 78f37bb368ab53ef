package harness

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// StandardPorts returns the StarRocks default ports every node binds on
// its own host: FE query, http, rpc, edit log; CN heartbeat, be,
// webserver, brpc. ReserveHost checks that all of them are free.
func StandardPorts() []int {
	return []int{FEQueryPort, FEHTTPPort, FERPCPort, FEEditLogPort, CNHeartbeatPort, CNBEPort, CNHTTPPort, CNBRPCPort}
}

// Host is a reserved loopback address. The reservation is an flock on a
// file in the system temp dir, so concurrent test processes never pick the
// same address; it ends when Release is called or the process exits.
type Host struct {
	// Addr is the address, e.g. 127.4.5.6.
	Addr string
	lock *os.File
}

// Release gives the address back; a nil Host is fine.
func (h *Host) Release() {
	if h != nil && h.lock != nil {
		syscall.Flock(int(h.lock.Fd()), syscall.LOCK_UN)
		h.lock.Close()
		os.Remove(h.lock.Name())
		h.lock = nil
	}
}

// ReserveHost picks a free 127.x.y.z address whose standard ports are
// free and holds it until Release (or until the process exits). Backends
// that run nodes as processes give every node one, so nodes never share
// ports and tests never hard-code addresses.
func ReserveHost() (*Host, error) {
	dir := filepath.Join(os.TempDir(), "minirocks-hosts")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, err
	}
	for attempt := 0; attempt < 200; attempt++ {
		addr := fmt.Sprintf("127.%d.%d.%d", 1+rand.IntN(254), rand.IntN(256), 2+rand.IntN(252))
		f, err := os.OpenFile(filepath.Join(dir, addr+".lock"), os.O_CREATE|os.O_RDWR, 0o666)
		if err != nil {
			return nil, err
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			continue
		}
		if portsFree(addr) {
			return &Host{Addr: addr, lock: f}, nil
		}
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}
	return nil, fmt.Errorf("no free loopback host found after 200 attempts")
}

func portsFree(addr string) bool {
	for _, p := range StandardPorts() {
		l, err := net.Listen("tcp", net.JoinHostPort(addr, strconv.Itoa(p)))
		if err != nil {
			return false
		}
		l.Close()
	}
	return true
}
