//go:build !windows

package local

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/client/localsock"
)

// serve answers every request on a fresh socket with h and returns a
// client for it.
func serve(t *testing.T, h http.HandlerFunc) *Client {
	t.Helper()
	addr := filepath.Join(t.TempDir(), "svpnd.sock")
	ln, err := localsock.Listen(addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	c := NewClient(addr)
	t.Cleanup(c.Close)
	return c
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return c
}

// TestRefusal: svpnd's refusal is an *api.Error with its code and
// message, and the whole response (violations here) stays reachable.
func TestRefusal(t *testing.T) {
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		w.Write([]byte(`{"code":"password_policy","message":"the new password breaks 1 rule(s)",` +
			`"violations":[{"rule":"same_as_old","message":"must differ from the current password"}]}`))
	})
	err := c.ChangePassword(ctx(t), &api.LocalPasswordRequest{})

	var ae *api.Error
	if !errors.As(err, &ae) || ae.Code != api.CodePasswordPolicy || ae.Message != "the new password breaks 1 rule(s)" {
		t.Fatalf("error %#v is not the refusal as an *api.Error", err)
	}
	if _, ok := err.(*api.Error); !ok {
		t.Errorf("error is a %T, want *api.Error itself", err)
	}
	if api.CodeOf(err) != api.CodePasswordPolicy ||
		!errors.Is(err, &api.Error{Code: api.CodePasswordPolicy}) {
		t.Errorf("code of %v is lost", err)
	}
	var lr *Refusal
	if !errors.As(err, &lr) || lr.Status != http.StatusUnprocessableEntity {
		t.Errorf("no *Refusal with the status in %v", err)
	}
	r, ok := api.RefusalOf(err)
	if !ok || len(r.Violations) != 1 || r.Violations[0].Rule != "same_as_old" {
		t.Errorf("gatewayapi.Refusal = %+v, %v; want the violations", r, ok)
	}
	if s := err.Error(); !strings.HasPrefix(s, "password_policy: the new password breaks 1 rule(s)") || strings.Contains(s, "gateway") {
		t.Errorf("Error() = %q", s)
	}
}

// TestNotAnAnswer: a failure svpnd did not describe is internal, and
// carries no refusal.
func TestNotAnAnswer(t *testing.T) {
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	_, err := c.Status(ctx(t))
	if api.CodeOf(err) != api.CodeInternal {
		t.Errorf("code %s (%v), want internal", api.CodeOf(err), err)
	}
	if r, ok := api.RefusalOf(err); ok {
		t.Errorf("a refusal %+v out of a non-API answer", r)
	}
}

func TestDaemonUnavailable(t *testing.T) {
	c := NewClient(filepath.Join(t.TempDir(), "absent.sock"))
	defer c.Close()
	if _, err := c.Status(ctx(t)); api.CodeOf(err) != CodeDaemonUnavailable {
		t.Errorf("Status: %v, want %s", err, CodeDaemonUnavailable)
	}
	if err := c.Watch(ctx(t), func(api.Status) {}); api.CodeOf(err) != CodeDaemonUnavailable {
		t.Errorf("Watch: %v, want %s", err, CodeDaemonUnavailable)
	}
	if CodeDaemonUnavailable != "daemon_unavailable" {
		t.Error("a shipped code changed its string")
	}
}
