package tunnel

// SendKeepalive sends a keepalive to the gateway under the current session
// keys, on whatever path the bind now sends: after a move from TCP back to
// UDP it tells the gateway the new path at once (WireGuard roams to where
// an authenticated packet came from) instead of at the next keepalive.
func (u *Userspace) SendKeepalive() error { return u.eng.sendKeepalive() }

// SendKeepalive: see Userspace.SendKeepalive.
func (t *OSTunnel) SendKeepalive() error { return t.eng.sendKeepalive() }

func (e *engine) sendKeepalive() error {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return errClosed
	}
	e.dev.SendKeepalivesToPeersWithCurrentKeypair()
	return nil
}
