// Command svpn-loadtest drives real logins against a demo gateway (one node
// or several) and prints what it measured as JSON:
//
//	svpn-loadtest --demo DIR [--users N] [--concurrency C] [--rate R] [--urls URL,…]
//
// It provisions N users (load00000, …) in the demo's store, each with a
// certificate issued by the demo's CA (one RSA-2048 key for all, so issuing
// is quick; the gateway checks each certificate and signature all the same)
// and one password hashed with the demo's argon2id parameters, then logs
// each in once: a TLS connection of its own, a challenge, the RSA
// signature over the channel-bound message, the login. rate_limited and
// node_draining are retried after Retry-After with jitter, as svpnd does.
// Bounded in count (--users) and time (--max-duration); it talks to
// loopback addresses only.
package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/opensvpn/svpn/certstore/certgen"
	"github.com/opensvpn/svpn/gateway"
	"github.com/opensvpn/svpn/gateway/password"
	"github.com/opensvpn/svpn/gateway/store"
	"github.com/opensvpn/svpn/internal/loadgen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "svpn-loadtest:", err)
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// maxUsers bounds a run.
const maxUsers = 20000

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("svpn-loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	demo := fs.String("demo", "", "demo `directory` (svpn-gateway demo --dir): its CA, store and nodes")
	users := fs.Int("users", 200, "logins to make, one per provisioned user (at most 20000)")
	concurrency := fs.Int("concurrency", 64, "logins in flight at most")
	rateFlag := fs.Float64("rate", 0, "arrivals per `second`; 0 = as fast as --concurrency allows")
	urls := fs.String("urls", "", "comma-separated API `URLs` (default: every node of demo.json)")
	timeout := fs.Duration("timeout", 15*time.Second, "per call, as svpnd's")
	maxDuration := fs.Duration("max-duration", 5*time.Minute, "bound of the whole run")
	sources := fs.Int("sources", 100, "loopback source addresses to spread over (a gateway limits attempts per address)")
	logout := fs.Bool("logout", false, "log each session out after its login (the demo pool has 253 addresses; duplicate_addresses is then not counted)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *demo == "" || *users < 1 || *users > maxUsers || *concurrency < 1 {
		fs.Usage()
		return fmt.Errorf("--demo is required, --users 1..%d, --concurrency >= 1", maxUsers)
	}
	var d gateway.Demo
	b, err := os.ReadFile(filepath.Join(*demo, "demo.json"))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return fmt.Errorf("demo.json: %w", err)
	}
	targets := strings.Split(*urls, ",")
	if *urls == "" {
		targets = []string{d.APIURL}
		if len(d.Nodes) > 0 {
			targets = nil
			for _, n := range d.Nodes {
				targets = append(targets, n.APIURL)
			}
		}
	}
	for _, u := range targets {
		if err := loopbackOnly(u); err != nil {
			return err
		}
	}
	cfg, err := gateway.LoadConfig(d.Config)
	if err != nil {
		return err
	}
	roots := x509.NewCertPool()
	caPEM, err := os.ReadFile(d.CAFile)
	if err != nil {
		return err
	}
	roots.AppendCertsFromPEM(caPEM)

	start := time.Now()
	us, err := provision(ctx, *demo, cfg, *users)
	if err != nil {
		return fmt.Errorf("provisioning users: %w", err)
	}
	fmt.Fprintf(stderr, "provisioned %d users in %s; logging in against %s\n", len(us), time.Since(start).Round(time.Millisecond), strings.Join(targets, " "))
	res, err := loadgen.Run(ctx, loadgen.Options{URLs: targets, GatewayID: d.GatewayID, RootCAs: roots, Users: us,
		Concurrency: *concurrency, Rate: *rateFlag, Timeout: *timeout, MaxDuration: *maxDuration, Sources: *sources, Logout: *logout})
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}

// loopbackOnly refuses a target that is not this machine.
func loopbackOnly(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" {
		return fmt.Errorf("%q: not an https URL", raw)
	}
	ips, err := net.LookupIP(u.Hostname())
	if err != nil {
		return err
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return fmt.Errorf("%s: only loopback gateways are load-tested (%s is %s)", raw, u.Hostname(), ip)
		}
	}
	return nil
}

// provision (re)creates n load users in the demo's store.
func provision(ctx context.Context, dir string, cfg *gateway.Config, n int) ([]loadgen.User, error) {
	ca, err := certgen.LoadCA(filepath.Join(dir, "yessign.pem"), filepath.Join(dir, "yessign.key"))
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, cfg.Store)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	pwBytes := make([]byte, 12)
	rand.Read(pwBytes)
	pw := fmt.Sprintf("Ld-%x!", pwBytes)
	hash, err := password.Hash(pw, cfg.Argon2) // the production cost, once: every user has this hash
	if err != nil {
		return nil, err
	}
	out := make([]loadgen.User, n)
	for i := range out {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		id := fmt.Sprintf("load%05d", i)
		u, err := ca.IssueUser(certgen.UserOptions{Name: fmt.Sprintf("부하%05d", i), Key: key})
		if err != nil {
			return nil, err
		}
		if _, err := st.DeleteUser(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		if err := st.AddUser(ctx, store.User{ID: id, DisplayName: "부하시험", Group: "default", PasswordHash: hash,
			Cert: gateway.CertBindingOf(u.Cert)}); err != nil {
			return nil, err
		}
		out[i] = loadgen.User{ID: id, Password: pw, Cert: u.Cert, Key: key}
	}
	return out, nil
}
