package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/gateway"
	"github.com/opensvpn/svpn/gateway/store"
)

// node list and drain, and the admin commands that end sessions on every
// node (password reset, certificate revocation).
func TestNodeCommands(t *testing.T) {
	dir := t.TempDir()
	_, d, err := gateway.PrepareDemo(dir, "127.0.0.1:0", 0)
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "config.json")
	cfg, err := gateway.LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, cfg.Store)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.NodeHeartbeat(ctx, store.Node{ID: cfg.GatewayID, APIURL: d.APIURL}, time.Now(), true); err != nil {
		t.Fatal(err)
	}
	cert, err := certstore.Load(d.CertPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddUser(ctx, store.User{ID: "kim01", Cert: gateway.CertBindingOf(cert.X509)}); err != nil {
		t.Fatal(err)
	}
	session := func(key string) string {
		s, _, err := st.CreateSession(ctx, store.Session{UserID: "kim01", TokenHash: store.HashToken(store.NewID()), PublicKey: key,
			Node: cfg.GatewayID, ExpiresAt: time.Now().Add(time.Hour)}, store.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return s.ID
	}
	ended := func(id string) bool { s, _ := st.GetSession(ctx, id); return !s.Active() }

	code, out := runGW(t, "", "node", "list", "--config", cfgPath, "--json")
	var nodes []nodeJSON
	if code != 0 || json.Unmarshal([]byte(out), &nodes) != nil || len(nodes) != 1 || nodes[0].State != "up" || nodes[0].APIURL != d.APIURL {
		t.Fatalf("node list --json: exit %d\n%s", code, out)
	}
	s1 := session("k1")
	// Draining with a session and no time to wait fails, and says so.
	if code, out := runGW(t, "", "node", "drain", "--config", cfgPath, "--wait", "1s"); code == 0 || !strings.Contains(out, "1 session") {
		t.Errorf("drain with a session left: exit %d\n%s", code, out)
	}
	if code, out := runGW(t, "", "node", "list", "--config", cfgPath); code != 0 || !strings.Contains(out, "draining") {
		t.Errorf("node list: exit %d\n%s", code, out)
	}
	// A password reset ends the account's sessions.
	if code, out := runGW(t, "", "user", "reset-password", "--config", cfgPath, "--id", "kim01"); code != 0 || !strings.Contains(out, "ended 1 session") || !ended(s1) {
		t.Errorf("reset-password: exit %d\n%s", code, out)
	}
	if code, out := runGW(t, "", "node", "drain", "--config", cfgPath); code != 0 || !strings.Contains(out, "is drained") {
		t.Errorf("drain of an empty node: exit %d\n%s", code, out)
	}
	// Revoking the account's certificate ends its sessions.
	s2 := session("k2")
	if code, out := runGW(t, "", "cert", "revoke", "--config", cfgPath, "--cert", d.CertPath); code != 0 || !strings.Contains(out, "ended 1 session") || !ended(s2) {
		t.Errorf("cert revoke: exit %d\n%s", code, out)
	}
	if code, out := runGW(t, "", "node", "undrain", "--config", cfgPath); code != 0 {
		t.Errorf("undrain: exit %d\n%s", code, out)
	}
	if n, _ := st.GetNode(ctx, cfg.GatewayID); n.Draining {
		t.Error("still draining after undrain")
	}
	if code, _ := runGW(t, "", "node", "drain", "--config", cfgPath, "--node", "nosuch"); code == 0 {
		t.Error("draining an unknown node succeeded")
	}
}
