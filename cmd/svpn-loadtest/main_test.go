package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opensvpn/svpn/gateway"
	"github.com/opensvpn/svpn/gateway/password"
)

// A demo gateway in this process, with a cheap argon2id setting (its
// config file says so, and the tool hashes with what the config says).
func startDemo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cfg, d, err := gateway.PrepareDemo(dir, "127.0.0.1:0", 0)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Argon2 = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	b, _ := json.Marshal(cfg)
	if err := writeFile(filepath.Join(dir, "config.json"), b); err != nil {
		t.Fatal(err)
	}
	g, err := gateway.Start(context.Background(), cfg, gateway.StartOptions{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	if err := d.Started(g); err != nil {
		t.Fatal(err)
	}
	if err := gateway.WriteDemo(dir, d); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLoadtestDemo(t *testing.T) {
	dir := startDemo(t)
	var out, errs bytes.Buffer
	err := run(context.Background(), []string{"--demo", dir, "--users", "40", "--concurrency", "20", "--sources", "4"}, &out, &errs)
	if err != nil {
		t.Fatalf("%v\n%s", err, errs.String())
	}
	var res map[string]any
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	for _, k := range []string{"attempted", "ok", "failed_timeout", "failed_other", "retried", "p50_ms", "p99_ms", "logins_per_s", "duplicate_addresses"} {
		if _, ok := res[k]; !ok {
			t.Errorf("no %q in %s", k, out.String())
		}
	}
	if res["attempted"] != 40.0 || res["ok"] != 40.0 || res["duplicate_addresses"] != 0.0 || res["logins_per_s"].(float64) <= 0 {
		t.Errorf("result %s", out.String())
	}
	// A second run re-provisions the same users.
	out.Reset()
	if err := run(context.Background(), []string{"--demo", dir, "--users", "5"}, &out, io.Discard); err != nil || !strings.Contains(out.String(), `"ok": 5`) {
		t.Errorf("second run: %v %s", err, out.String())
	}
}

func TestLoadtestLoopbackOnly(t *testing.T) {
	for _, u := range []string{"https://192.0.2.1:8443", "https://10.1.2.3", "http://127.0.0.1:8443"} {
		if err := loopbackOnly(u); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
	for _, u := range []string{"https://127.0.0.1:8443", "https://[::1]:8443", "https://127.0.0.5"} {
		if err := loopbackOnly(u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	if err := run(context.Background(), []string{"--demo", t.TempDir(), "--users", "0"}, io.Discard, io.Discard); err == nil {
		t.Error("--users 0 accepted")
	}
}

func writeFile(path string, b []byte) error { return os.WriteFile(path, b, 0o600) }
