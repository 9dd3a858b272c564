// Package e2e tests SVPN the way people use it: the real binaries
// (svpn-gateway demo, svpnd, svpnctl) as separate processes, logging in
// with an NPKI key file and reaching the portal through the tunnel. The
// userspace test needs no privileges; the network-namespace test runs as
// root with real TUN devices and skips otherwise. It holds only tests.
package e2e
