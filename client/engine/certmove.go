package engine

import (
	"context"

	"github.com/opensvpn/svpn/api"
)

// CertMoveOpen opens a certificate-move slot on the gateway inside the
// session, for its owner only: the session proves who sends, so another
// local user must not send under it. svpnd adds the session token and
// nothing else; the code, the PAKE and the certificate files stay in the
// front end (package certmove), so svpnd never holds a key.
func (e *Engine) CertMoveOpen(ctx context.Context, c Caller, req *api.CertMoveOpenRequest) (*api.CertMoveOpenResponse, error) {
	e.mu.Lock()
	sess, owner := e.sess, e.owner
	e.mu.Unlock()
	if sess == nil {
		return nil, api.Errorf(api.CodeNotConnected, "log in first: a certificate is sent from a logged-in PC")
	}
	if owner != c.UID {
		return nil, api.Errorf(api.CodeForbidden, "the session belongs to another local user")
	}
	return e.o.Gateway.CertMoveOpen(ctx, sess.resp.SessionToken, req)
}
