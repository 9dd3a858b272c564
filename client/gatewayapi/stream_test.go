package gatewayapi

import (
	"bufio"
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
)

// TestDialStream: the stream request carries the token and the upgrade;
// a refusal keeps its code, and a server that is not the gateway (or
// switches to another protocol) is a bad response, never a stream.
func TestDialStream(t *testing.T) {
	ctx := context.Background()
	upgrade := func(proto, after string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != api.PathTunnelStream || r.Header.Get("Authorization") != "Bearer tok" || r.Header.Get("Upgrade") != api.StreamUpgrade {
				http.Error(w, "bad request", 400)
				return
			}
			c, brw, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			defer c.Close()
			fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: %s\r\n\r\n%s", proto, after)
			brw.Flush()
			io.Copy(io.Discard, brw) // until the client closes
		}
	}
	ok, okPool := tlsServer(t, upgrade(api.StreamUpgrade, "first-frames"))
	other, otherPool := tlsServer(t, upgrade("websocket", ""))
	refused, refusedPool := tlsServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(401)
		w.Write([]byte(`{"code":"session_ended","message":"kicked","end_reason":"kicked"}`))
	})
	portal, portalPool := tlsServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html>captive portal</html>"))
	})

	c, err := New(ok.URL, Options{RootCAs: okPool, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := c.DialStream(ctx, "tok")
	if err != nil {
		t.Fatal(err)
	}
	// Bytes the gateway sent right after its answer are the stream's.
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := bufio.NewReader(conn).Peek(len("first-frames"))
	if err != nil || string(got) != "first-frames" {
		t.Fatalf("first bytes %q, %v", got, err)
	}
	conn.Close()

	for _, tc := range []struct {
		name string
		url  string
		pool *x509.CertPool
		code api.Code
	}{
		{"another protocol", other.URL, otherPool, CodeBadResponse},
		{"refused", refused.URL, refusedPool, api.CodeSessionEnded},
		{"not the gateway", portal.URL, portalPool, CodeBadResponse},
	} {
		c, err := New(tc.url, Options{RootCAs: tc.pool, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		conn, err := c.DialStream(ctx, "tok")
		if conn != nil {
			conn.Close()
		}
		if api.CodeOf(err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
		if r, ok := api.RefusalOf(err); tc.code == api.CodeSessionEnded && (!ok || r.EndReason != api.EndKicked) {
			t.Errorf("%s: the end reason is lost: %+v", tc.name, r)
		}
	}
}
