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
			case _, ok := <-routes:
				if !ok {
					return
				}
			case _, ok := <-addrs:
				if !ok {
					return
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
