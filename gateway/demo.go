package gateway

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore"
	"github.com/opensvpn/svpn/certstore/certgen"
	"github.com/opensvpn/svpn/gateway/password"
	"github.com/opensvpn/svpn/gateway/store"
)

// Demo is what `svpn-gateway demo` writes to DIR/demo.json: everything a
// script or a person needs to log in to the demo gateway.
type Demo struct {
	APIURL          string `json:"api_url"`
	GatewayID       string `json:"gateway_id"` // pinned in the profile; every login signature names it
	CAFile          string `json:"ca_file"`    // verifies the API's TLS certificate
	UserID          string `json:"user_id"`
	InitialPassword string `json:"initial_password"`
	CertPath        string `json:"cert_path"` // the demo user's signCert.der on the simulated USB drive
	CertPassword    string `json:"cert_password"`
	DriveRoot       string `json:"drive_root"` // the simulated USB drive
	PortalURL       string `json:"portal_url"`
	Profile         string `json:"profile"` // client profile file
	Config          string `json:"config"`  // the gateway's config file
	WireGuardPort   int    `json:"wireguard_port"`
	// Users are the demo accounts, one per kind of certificate (demo_users.go);
	// the fields above describe test05, the first of them.
	Users      []DemoUser `json:"users"`
	Notes      []string   `json:"notes,omitempty"` // what the demo could not set up, and why
	WalletPath string     `json:"wallet_path"`     // the demo user's mobile ID wallet (svpn-wallet)
	WalletPIN  string     `json:"wallet_pin"`
	// Nodes are the gateway processes of `demo --nodes N` (N >= 2), node 1
	// first; the fields above describe node 1.
	Nodes []DemoNode `json:"nodes,omitempty"`
}

// Demo account and certificate, printed for the person trying it.
const (
	DemoUserID       = "test05"
	DemoPassword     = "svpn1234!"
	DemoCertPassword = "demo-cert1!"
	demoTunnel       = "10.77.0.1/24"
)

// PrepareDemo creates, or reuses, the demo's state in dir: a KISA-like test
// CA, a TLS certificate for the API, the gateway config, and the demo
// user's NPKI certificate on a simulated USB drive (dir/usb/NPKI/...). The
// user account itself is created by EnsureDemoUser once the store is open.
// DemoGatewayID is the demo gateway's gateway_id, pinned in its profile.
const DemoGatewayID = "svpn-demo"

func PrepareDemo(dir, listen string, wgPort int) (*Config, *Demo, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, err
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, nil, fmt.Errorf("--listen: %w", err)
	}
	if host == "" || host == "0.0.0.0" {
		host = "127.0.0.1"
	}
	pki, err := loadOrCreateDemoPKI(dir)
	if err != nil {
		return nil, nil, err
	}
	tlsCert, tlsKey := filepath.Join(dir, "tls.pem"), filepath.Join(dir, "tls.key")
	if _, err := os.Stat(tlsCert); err != nil {
		cert, key, err := pki.Root.IssueServer([]string{host, "localhost", "127.0.0.1"}, 2*365*24*time.Hour)
		if err != nil {
			return nil, nil, err
		}
		der, err := x509.MarshalECPrivateKey(key.(*ecdsa.PrivateKey))
		if err != nil {
			return nil, nil, err
		}
		if err := os.WriteFile(tlsCert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o644); err != nil {
			return nil, nil, err
		}
		if err := os.WriteFile(tlsKey, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			return nil, nil, err
		}
	}
	drive := filepath.Join(dir, "usb")
	certPath, err := findDemoCert(drive)
	if err != nil {
		u, err := pki.Yessign.IssueUser(certgen.UserOptions{Name: "홍길동", IDN: "800101-1234567", PolicyOID: certgen.PolicyYessignGeneral})
		if err != nil {
			return nil, nil, err
		}
		certDir, err := u.WriteNPKI(filepath.Join(drive, "NPKI"), DemoCertPassword, certstore.SchemeSEEDLegacy)
		if err != nil {
			return nil, nil, err
		}
		certPath = filepath.Join(certDir, "signCert.der")
	}
	apiURL := "https://" + net.JoinHostPort(host, port)
	profile := filepath.Join(dir, "profile.json")
	p := api.Profile{Name: "원격근무서비스 (데모)", GatewayURL: apiURL, GatewayID: DemoGatewayID, CAFile: filepath.Join(dir, "ca.pem"),
		Helpdesk:  "☎ 콜센터 : 1833-6570 / 02-2133-1480 (운영시간 : 09:00 ~ 18:00)",
		ManualURL: "https://www.example.go.kr/svpn/manual", AntivirusURL: "https://www.example.go.kr/svpn/antivirus"}
	if err := writeJSONFile(profile, p); err != nil {
		return nil, nil, err
	}
	cfg := &Config{
		GatewayID:     DemoGatewayID,
		Name:          "원격근무서비스",
		Banner:        "데모 게이트웨이입니다. 실제 업무에 사용하지 마십시오.",
		Helpdesk:      p.Helpdesk,
		Listen:        listen,
		TLSCert:       tlsCert,
		TLSKey:        tlsKey,
		Store:         "sqlite:" + filepath.Join(dir, "gateway.db"),
		TrustAnchors:  []string{filepath.Join(dir, "ca.pem")},
		Intermediates: []string{filepath.Join(dir, "yessign.pem"), filepath.Join(dir, "gpki.pem")},
		Posture:       PostureConfig{RequireAntivirus: false, InstallURL: p.AntivirusURL},
		WG: WireGuardConfig{Mode: "netstack", ListenPort: wgPort, Address: demoTunnel, PrivateKeyFile: filepath.Join(dir, "wg.key"),
			Endpoint: net.JoinHostPort(host, strconv.Itoa(wgPort))},
		Groups: map[string]GroupConfig{"default": {Routes: []string{"10.77.0.0/24"}, PortalURL: "http://10.77.0.1/",
			Banner: "원격근무서비스에 접속되었습니다."}},
	}
	walletPath := ""
	if cfg.MobileID, walletPath, err = prepareDemoMobileID(dir, filepath.Join(dir, "ca.pem"), "홍길동"); err != nil {
		return nil, nil, err
	}
	cfg.SetDefaults()
	if wgPort == 0 {
		cfg.WG.ListenPort = 0 // a free port, picked at start (SetDefaults would say 51820)
	}
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	cfgPath := filepath.Join(dir, "config.json")
	if err := writeJSONFile(cfgPath, cfg); err != nil {
		return nil, nil, err
	}
	d := &Demo{APIURL: apiURL, GatewayID: DemoGatewayID, CAFile: filepath.Join(dir, "ca.pem"), UserID: DemoUserID, InitialPassword: DemoPassword,
		CertPath: certPath, CertPassword: DemoCertPassword, DriveRoot: drive, PortalURL: "http://10.77.0.1/",
		Profile: profile, Config: cfgPath, WireGuardPort: wgPort, WalletPath: walletPath, WalletPIN: DemoWalletPIN}
	if d.Users, d.Notes, err = prepareDemoUsers(dir, pki, d); err != nil {
		return nil, nil, err
	}
	return cfg, d, nil
}

// findDemoCert returns the demo certificate already on the drive, if any.
func findDemoCert(drive string) (string, error) {
	matches, _ := filepath.Glob(filepath.Join(drive, "NPKI", "*", "USER", "*", "signCert.der"))
	if len(matches) == 0 {
		return "", errors.New("no demo certificate")
	}
	return matches[0], nil
}

func loadOrCreateDemoPKI(dir string) (*certgen.PKI, error) {
	rootCert, rootKey := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "ca.key")
	ysCert, ysKey := filepath.Join(dir, "yessign.pem"), filepath.Join(dir, "yessign.key")
	gpkiCert, gpkiKey := filepath.Join(dir, "gpki.pem"), filepath.Join(dir, "gpki.key")
	root, err1 := certgen.LoadCA(rootCert, rootKey)
	ys, err2 := certgen.LoadCA(ysCert, ysKey)
	if err1 == nil && err2 == nil {
		// The GPKI CA, added to demo folders made before it existed.
		gpki, err := certgen.LoadCA(gpkiCert, gpkiKey)
		if err != nil {
			if gpki, err = certgen.NewGPKICA(root); err != nil {
				return nil, err
			}
			if err := gpki.WritePEM(gpkiCert, gpkiKey); err != nil {
				return nil, err
			}
		}
		return &certgen.PKI{Root: root, Yessign: ys, GPKI: gpki}, nil
	}
	pki, err := certgen.NewPKI()
	if err != nil {
		return nil, err
	}
	if err := pki.Root.WritePEM(rootCert, rootKey); err != nil {
		return nil, err
	}
	if err := pki.Yessign.WritePEM(ysCert, ysKey); err != nil {
		return nil, err
	}
	if err := pki.GPKI.WritePEM(gpkiCert, gpkiKey); err != nil {
		return nil, err
	}
	return pki, nil
}

func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}

// WriteDemo writes demo.json.
func WriteDemo(dir string, d *Demo) error { return writeJSONFile(filepath.Join(dir, "demo.json"), d) }

// EnsureDemoUser creates the demo accounts (initial password, to be
// changed at first login) bound to their certificates, unless they exist:
// test05 and the others of d.Users.
func EnsureDemoUser(ctx context.Context, st *store.Store, d *Demo, p password.Params) error {
	if _, err := st.GetUser(ctx, d.UserID); err == nil {
		return ensureDemoUsers(ctx, st, d, p)
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	c, err := certstore.Load(d.CertPath)
	if err != nil {
		return err
	}
	hash, err := password.Hash(d.InitialPassword, p)
	if err != nil {
		return err
	}
	if err := st.AddUser(ctx, store.User{ID: d.UserID, DisplayName: certstore.DisplayName(c.X509), Group: "default",
		PasswordHash: hash, MustChangePassword: true,
		Cert: CertBindingOf(c.X509)}); err != nil {
		return err
	}
	return ensureDemoUsers(ctx, st, d, p)
}

// Started fills in what was only known once g listened: the API's port
// when --listen asked for port 0 (in demo.json's api_url and the profile's
// gateway_url) and the WireGuard port (wireguard_port). Call it before
// WriteDemo, so a script that starts the demo on port 0 reads the ports
// the gateway actually holds.
func (d *Demo) Started(g *Gateway) error {
	d.WireGuardPort = g.Device.ListenPort()
	u, err := url.Parse(d.APIURL)
	if err != nil {
		return err
	}
	_, port, err := net.SplitHostPort(g.APIAddr.String())
	if err != nil {
		return err
	}
	if u.Port() == port {
		return nil
	}
	u.Host = net.JoinHostPort(u.Hostname(), port)
	d.APIURL = u.String()
	b, err := os.ReadFile(d.Profile)
	if err != nil {
		return err
	}
	var p api.Profile
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("%s: %w", d.Profile, err)
	}
	p.GatewayURL = d.APIURL
	return writeJSONFile(d.Profile, p)
}
