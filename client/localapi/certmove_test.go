package localapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/engine"
)

// TestCertMoveCallers: the relay calls need a caller the OS identified;
// opening a slot without a session is refused before the gateway is asked.
func TestCertMoveCallers(t *testing.T) {
	h := testServer(t).Handler()
	for _, p := range []string{api.LocalPathCertMoveOpen, api.LocalPathCertMoveJoin, api.LocalPathCertMovePut, api.LocalPathCertMoveGet} {
		rec := as(h, nil, http.MethodPost, p)
		if rec.Code != http.StatusForbidden || errorCode(t, rec) != api.CodeForbidden {
			t.Errorf("%s by an unknown caller: %d %s", p, rec.Code, rec.Body)
		}
	}
	rec := asBody(h, &engine.Caller{UID: "1000"}, api.LocalPathCertMoveOpen, `{"certificate":"AAAA"}`)
	if errorCode(t, rec) != api.CodeNotConnected {
		t.Errorf("open without a session: %d %s", rec.Code, rec.Body)
	}
	rec = asBody(h, &engine.Caller{UID: "1000"}, api.LocalPathCertMoveJoin, `{"user_id":`)
	if errorCode(t, rec) != api.CodeBadRequest {
		t.Errorf("malformed join: %d %s", rec.Code, rec.Body)
	}
}

// asBody serves h one POST with body made by c.
func asBody(h http.Handler, c *engine.Caller, path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req = req.WithContext(context.WithValue(req.Context(), callerKey{}, c))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}
