package netmon

import (
	"context"

	"github.com/vishvananda/netlink"
)

// subscribe feeds events with route and address changes from netlink. The
// subscription goroutines end when ctx does.
func subscribe(ctx context.Context, events chan struct{}) error {
	routes := make(chan netlink.RouteUpdate, 16)
	addrs := make(chan netlink.AddrUpdate, 16)
	if err := netlink.RouteSubscribe(routes, ctx.Done()); err != nil {
		return err
	}
	if err := netlink.AddrSubscribe(addrs, ctx.Done()); err != nil {
		return err
	}
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case u, ok := <-routes:
				if !ok {
					return
				}
				if !isDefault(u.Route) {
					continue
				}
			case u, ok := <-addrs:
				if !ok {
					return
				}
				if isTunnel(u.LinkIndex) {
					continue
				}
			}
			select {
			case events <- struct{}{}:
			default:
			}
		}
	}()
	return nil
}

// isDefault reports whether r is a default route: the one whose change
// means another way out (a new Wi-Fi, a cable, a roaming LTE link). The
// routes a tunnel adds for its prefixes are not.
func isDefault(r netlink.Route) bool {
	if r.Dst == nil {
		return true
	}
	ones, _ := r.Dst.Mask.Size()
	return ones == 0
}

// isTunnel reports whether the interface is a TUN (ours, or another VPN's):
// its addresses coming and going are not a new network.
func isTunnel(index int) bool {
	l, err := netlink.LinkByIndex(index)
	return err == nil && l.Type() == "tuntap"
}
