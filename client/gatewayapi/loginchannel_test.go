package gatewayapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/opensvpn/svpn/api"
)

// TestLoginChannels: each login has a TLS connection of its own with its own
// exporter, the same one the server computes; later ones resume the TLS
// session (cheaper) and keep the pin check.
func TestLoginChannels(t *testing.T) {
	var serverSide [][]byte
	ts, pool := tlsServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, err := r.TLS.ExportKeyingMaterial(api.ChannelBindingLabel, nil, api.ChannelBindingLen)
		if err != nil {
			t.Error(err)
		}
		serverSide = append(serverSide, b)
		info(api.APIVersion)(w, r)
	})
	sum := sha256.Sum256(ts.Certificate().RawSubjectPublicKeyInfo)
	c, err := New(ts.URL, Options{RootCAs: pool, Pin: base64.StdEncoding.EncodeToString(sum[:])})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var bindings [][]byte
	for i := range 3 {
		lc, err := c.OpenLogin(ctx)
		if err != nil {
			t.Fatalf("login channel %d: %v", i, err)
		}
		if _, err := lc.Challenge(ctx, "kim01", "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="); api.CodeOf(err) != CodeBadResponse && err != nil {
			t.Fatal(err)
		}
		if i > 0 && !lc.resumed {
			t.Errorf("login channel %d did not resume the TLS session", i)
		}
		bindings = append(bindings, lc.ChannelBinding())
		lc.Close()
	}
	for i, b := range bindings {
		if len(serverSide) <= i || !bytes.Equal(b, serverSide[i]) {
			t.Fatalf("channel %d: client binding differs from the server's", i)
		}
		for j := range i {
			if bytes.Equal(b, bindings[j]) {
				t.Fatalf("channels %d and %d share an exporter", i, j)
			}
		}
	}
	// A pin that does not match refuses resumed connections too.
	bad, _ := New(ts.URL, Options{RootCAs: pool, Pin: base64.StdEncoding.EncodeToString(make([]byte, 32))})
	bad.tls.ClientSessionCache = c.tls.ClientSessionCache
	if _, err := bad.OpenLogin(ctx); api.CodeOf(err) != CodeTLS {
		t.Fatalf("wrong pin with a cached session: %v", err)
	}
}

// benchClient is a client of a local TLS server answering like a gateway.
func benchClient(b *testing.B) *Client {
	ts, pool := tlsServer(b, info(api.APIVersion))
	c, err := New(ts.URL, Options{RootCAs: pool})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkOpenLogin is what a login's own TLS connection costs svpnd: a
// TCP connect and a resumed TLS handshake with its exporter, plus one
// request on it (as the challenge is).
func BenchmarkOpenLogin(b *testing.B) {
	c, ctx := benchClient(b), context.Background()
	for b.Loop() {
		lc, err := c.OpenLogin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		lc.Challenge(ctx, "kim01", "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=")
		lc.Close()
	}
}

// BenchmarkPooledRequest is the same request on a pooled connection, as
// logins were sent before they had a connection of their own.
func BenchmarkPooledRequest(b *testing.B) {
	c, ctx := benchClient(b), context.Background()
	for b.Loop() {
		c.do(ctx, http.MethodPost, api.PathChallenge, "", api.ChallengeRequest{UserID: "kim01"}, nil)
	}
}
