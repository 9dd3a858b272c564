package engine

// Owner returns the UID of the local user whose session this is, from a
// successful login until the session ends; "" when no session is up. The
// local API decides from it who sees the session's details.
func (e *Engine) Owner() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.owner
}

// ForgetHistory drops what the engine remembers of earlier logins: the
// error history and the summary of the last login's certificate. The local
// API calls it when another local user starts a login while no session is
// up, so the new user's diagnostics never show the previous user's.
func (e *Engine) ForgetHistory() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.errors = nil
	e.lastCert = nil
}
