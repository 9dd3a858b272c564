package engine_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/client/engine"
	"github.com/opensvpn/svpn/client/gatewayapi"
	clientlogin "github.com/opensvpn/svpn/client/login"
	"github.com/opensvpn/svpn/tunnel"
)

// asDaemon lets login.Once drive an engine directly, as the local API does.
type asDaemon struct {
	eng *engine.Engine
	who engine.Caller
}

func (d asDaemon) LoginBegin(ctx context.Context, user string) (*api.LoginBeginResponse, error) {
	return d.eng.BeginLogin(ctx, d.who, user)
}
func (d asDaemon) LoginFinish(ctx context.Context, r *api.LoginFinishRequest) (api.Status, error) {
	return d.eng.FinishLogin(ctx, d.who, r)
}
func (d asDaemon) LoginCancel(ctx context.Context, id string) (api.Status, error) {
	return d.eng.CancelLogin(ctx, d.who, id)
}

// recordingSigner signs with a real certificate key and keeps every message
// it was asked to sign.
type recordingSigner struct {
	*certstore.Identity
	mu     sync.Mutex
	signed [][]byte
}

func (s *recordingSigner) Sign(r io.Reader, msg []byte, alg api.SignatureAlgorithm) ([]byte, api.SignatureAlgorithm, error) {
	s.mu.Lock()
	s.signed = append(s.signed, append([]byte(nil), msg...))
	s.mu.Unlock()
	return s.Identity.Sign(r, msg, alg)
}

// engineFor returns an engine whose profile points at url (trusting the
// TLS certificate of ts) but pins gatewayID.
func engineFor(t *testing.T, ts *httptest.Server, gatewayID string) *engine.Engine {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(ts.Certificate())
	gw, err := gatewayapi.New(ts.URL, gatewayapi.Options{RootCAs: pool, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	eng := engine.New(engine.Options{
		Profile: &api.Profile{Name: "test", GatewayURL: ts.URL, GatewayID: gatewayID}, Gateway: gw, Userspace: true, Logger: quiet,
		NewTunnel: func(c tunnel.Config) (tunnel.Tunnel, error) { return tunnel.NewUserspace(c, quiet) },
	})
	t.Cleanup(func() { eng.Close() })
	return eng
}

// TestFakeGatewayGetsNoChosenSignature: a gateway that asks the client to
// sign text of its choosing (the old protocol's "message", or prose in the
// challenge) gets no signature at all; one that sends a well-formed
// challenge gets a signature over SVPN's own framed message, naming the
// gateway ID pinned in the profile, never the one it claims.
func TestFakeGatewayGetsNoChosenSignature(t *testing.T) {
	chosen := []byte("I approve the transfer of 10,000,000 KRW to account 123-456")
	var (
		mu         sync.Mutex
		challenge  string
		gotLogin   api.LoginRequest
		loginCalls int
	)
	fake := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		mu.Lock()
		defer mu.Unlock()
		switch r.URL.Path {
		case api.PathChallenge:
			json.NewEncoder(w).Encode(map[string]any{"challenge": challenge, "gateway_id": "evil-gateway",
				"expires_at": time.Now().Add(time.Minute), "message": chosen})
		case api.PathLogin:
			loginCalls++
			json.NewDecoder(r.Body).Decode(&gotLogin)
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(api.ErrorResponse{Code: api.CodeBadCredentials, Message: "no"})
		default:
			w.WriteHeader(http.StatusNotFound)
			json.NewEncoder(w).Encode(api.ErrorResponse{Code: api.CodeBadRequest, Message: "no"})
		}
	}))
	defer fake.Close()
	_, d, id := setup(t)
	eng := engineFor(t, fake, d.GatewayID)
	who := engine.Caller{UID: "1000"}
	signer := &recordingSigner{Identity: id}

	for _, bad := range []string{string(chosen), "SVPN-LOGIN-V2\ngateway_id=x", strings.Repeat("A", 200), ""} {
		mu.Lock()
		challenge = bad
		mu.Unlock()
		_, err := clientlogin.Once(context.Background(), asDaemon{eng, who}, signer, d.UserID, "pw", "")
		if api.CodeOf(err) != gatewayapi.CodeBadResponse {
			t.Errorf("challenge %q: %v, want %s", bad, err, gatewayapi.CodeBadResponse)
		}
	}
	if len(signer.signed) != 0 || loginCalls != 0 {
		t.Fatalf("signed %q for a malformed challenge (%d logins sent)", signer.signed, loginCalls)
	}

	mu.Lock()
	challenge = "AQAAAABpK3xAq80-_w"
	mu.Unlock()
	_, err := clientlogin.Once(context.Background(), asDaemon{eng, who}, signer, d.UserID, "pw", "")
	if api.CodeOf(err) != api.CodeBadCredentials {
		t.Fatalf("login at the fake gateway: %v", err)
	}
	if len(signer.signed) != 1 {
		t.Fatalf("signed %d messages", len(signer.signed))
	}
	msg := signer.signed[0]
	if !bytes.HasPrefix(msg, []byte(api.LoginMessageLabel+"\ngateway_id="+d.GatewayID+"\nuser_id="+d.UserID+"\n")) ||
		bytes.Contains(msg, []byte("evil-gateway")) || bytes.Contains(msg, chosen) {
		t.Fatalf("signed %q", msg)
	}
	// What the fake gateway received verifies over SVPN's message only.
	if err := certstore.VerifySignature(id.Certificate.X509, gotLogin.SignatureAlgorithm, chosen, gotLogin.Signature); err == nil {
		t.Fatal("the fake gateway holds a signature over its chosen text")
	}
	if err := certstore.VerifySignature(id.Certificate.X509, gotLogin.SignatureAlgorithm, msg, gotLogin.Signature); err != nil {
		t.Fatalf("the signature sent is not over the built message: %v", err)
	}
}

// TestRelayedLoginRefused: a malicious gateway that the client trusts relays
// the login, challenge and signature untouched, to the real gateway over
// its own TLS connection. The real gateway refuses it: the signature covers
// the client's TLS connection, not the relay's.
func TestRelayedLoginRefused(t *testing.T) {
	_, d, id, g := setupGateway(t)
	pem, _ := os.ReadFile(d.CAFile)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	real, err := gatewayapi.New("https://"+g.APIAddr.String(), gatewayapi.Options{RootCAs: pool})
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu      sync.Mutex
		channel *gatewayapi.LoginChannel
		relayed []error
	)
	relay := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		var (
			out any
			err error
		)
		switch r.URL.Path {
		case api.PathChallenge:
			var req api.ChallengeRequest
			json.NewDecoder(r.Body).Decode(&req)
			if channel, err = real.OpenLogin(r.Context()); err == nil {
				out, err = channel.Challenge(r.Context(), req.UserID, req.WGPublicKey)
			}
		case api.PathLogin:
			var req api.LoginRequest
			json.NewDecoder(r.Body).Decode(&req)
			out, err = channel.Login(r.Context(), &req)
			relayed = append(relayed, err)
		}
		w.Header().Set("Content-Type", "application/json")
		if ref, ok := api.RefusalOf(err); ok {
			w.WriteHeader(http.StatusForbidden)
			out = ref
		} else if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			out = api.ErrorResponse{Code: api.CodeUnavailable, Message: err.Error()}
		}
		json.NewEncoder(w).Encode(out)
	}))
	defer relay.Close()

	eng := engineFor(t, relay, d.GatewayID)
	_, err = clientlogin.Once(context.Background(), asDaemon{eng, engine.Caller{UID: "1000"}}, id, d.UserID, d.InitialPassword, "")
	if api.CodeOf(err) != api.CodeSignatureInvalid {
		t.Fatalf("relayed login: %v, want %s", err, api.CodeSignatureInvalid)
	}
	if len(relayed) != 1 || api.CodeOf(relayed[0]) != api.CodeSignatureInvalid {
		t.Fatalf("the real gateway answered the relay %v", relayed)
	}
	if n, _ := g.Store.ListActiveSessions(context.Background()); len(n) != 0 {
		t.Fatalf("%d sessions after a relayed login", len(n))
	}
}
