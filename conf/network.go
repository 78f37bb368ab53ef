package conf

import (
	"fmt"
	"net"
	"net/netip"
)

// PriorityAddress chooses the address a node binds and advertises from its
// priority_networks, as StarRocks does: the first local address inside one
// of the networks, in the order the networks are listed. A single-host
// network (/32) naming a loopback address is taken as it is, because on
// Linux every 127.x.y.z address is local; that is how minirocks runs many
// nodes on one machine, each with its own host address and the standard
// ports. With no networks it returns 127.0.0.1.
func PriorityAddress(networks []netip.Prefix) (netip.Addr, error) {
	if len(networks) == 0 {
		return netip.MustParseAddr("127.0.0.1"), nil
	}
	var local []netip.Addr
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(ipn.IP); ok {
					local = append(local, ip.Unmap())
				}
			}
		}
	}
	for _, n := range networks {
		if n.IsSingleIP() && n.Addr().IsLoopback() {
			return n.Addr(), nil
		}
		for _, ip := range local {
			if n.Contains(ip) {
				return ip, nil
			}
		}
	}
	return netip.Addr{}, fmt.Errorf("no local address matches priority_networks %v", networks)
}
