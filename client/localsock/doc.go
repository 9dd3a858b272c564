// Package localsock is the transport of svpnd's local API: the unix socket
// (a named pipe on Windows) where the daemon listens (Listen), how a front
// end connects to it (Dial, DefaultAddress), and who is on the other end of
// an accepted connection as the operating system vouches for it
// (PeerIdentity).
//
// It is a leaf both sides import: the daemon's server (client/localapi),
// the front ends' client (client/local) and the desktop app's
// single-instance socket (ui/tray). It must not import the engine, the
// tunnel or the gateway, so that the front ends link none of them.
package localsock
