// Package gateway is the SVPN server: it authenticates staff by password,
// certificate and device posture, and hands out WireGuard tunnels.
package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/api/passwordrules"
	"github.com/opensvpn/svpn/gateway/password"
)

// Duration is a time.Duration written as "30s", "10h" in the config file.
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"30s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Config is the gateway's configuration file (JSON).
type Config struct {
	GatewayID string `json:"gateway_id"` // shared by every node of a cluster; part of each signed login
	Name      string `json:"name"`       // shown by clients, e.g. 원격근무서비스
	Banner    string `json:"banner,omitempty"`
	Helpdesk  string `json:"helpdesk,omitempty"`

	Listen        string `json:"listen"`                   // HTTPS API, e.g. ":8443"
	TLSCert       string `json:"tls_cert"`                 // PEM chain
	TLSKey        string `json:"tls_key"`                  // PEM key
	MetricsListen string `json:"metrics_listen,omitempty"` // Prometheus /metrics, e.g. "127.0.0.1:9120"
	Store         string `json:"store"`                    // sqlite:/path or postgres://…

	// Certificates.
	TrustAnchors     []string `json:"trust_anchors"`           // PEM/DER root CA files
	Intermediates    []string `json:"intermediates,omitempty"` // PEM/DER CA files
	AllowedPolicies  []string `json:"allowed_policies"`        // policy OIDs accepted for login
	CRLFiles         []string `json:"crl_files,omitempty"`
	CRLURLs          []string `json:"crl_urls,omitempty"`
	CRLRefresh       Duration `json:"crl_refresh,omitempty"`
	BindOnFirstLogin bool     `json:"bind_on_first_login,omitempty"` // an unbound account adopts the first valid certificate

	// CRLGrace is how long a CRL stays usable after its NextUpdate (default
	// 24h). Past it, or while a configured source has never loaded,
	// certificates of the CA it covers are refused with
	// certificate_revocation_unknown: the gateway fails closed. A source
	// whose refresh fails keeps its last good CRL meanwhile.
	CRLGrace Duration `json:"crl_grace,omitempty"`

	// Passwords and lockout.
	Argon2         password.Params `json:"argon2"`
	PasswordPolicy PasswordPolicy  `json:"password_policy"`
	MaxFailures    int             `json:"max_failures"`         // consecutive failures that lock an account
	SourceLimit    int             `json:"source_failure_limit"` // failures per source address per window
	SourceWindow   Duration        `json:"source_window"`
	// TrustedProxies are the addresses (CIDRs, or single addresses) of TCP
	// load balancers in front of the API listener that send a PROXY
	// protocol header (v1 or v2) with the client's address. A connection
	// from a trusted proxy must start with one; a connection from any other
	// address is served directly, and is closed if it sends one. Empty (the
	// default): the PROXY protocol is off and a header is never
	// interpreted. The balancer must pass TLS through untouched: logins
	// are bound to the TLS connection with the gateway, so a proxy that
	// terminates TLS (and an X-Forwarded-For header) is not supported.
	// The per-source failure limit counts IPv4 clients per address and
	// IPv6 clients per /64.
	TrustedProxies []string `json:"trusted_proxies,omitempty"`

	// Sessions.
	SessionLifetime   Duration `json:"session_lifetime"`   // absolute
	SessionIdle       Duration `json:"session_idle"`       // without heartbeat
	HeartbeatInterval Duration `json:"heartbeat_interval"` // what clients are told
	SingleSession     *bool    `json:"single_session,omitempty"`

	Posture PostureConfig   `json:"posture"`
	WG      WireGuardConfig `json:"wireguard"`

	// MobileID enables login with the mobile employee ID (gateway/mobileid.go).
	MobileID *MobileIDConfig `json:"mobile_id,omitempty"`

	// Groups give users their routes, DNS and portal; "default" applies to
	// users of no or unknown group.
	Groups map[string]GroupConfig `json:"groups"`

	// Cluster: the nodes of one gateway share gateway_id and a PostgreSQL
	// store; each has its own node name (default gateway_id) and the API
	// URL clients reach it on (default https://<listen address>).
	Node   string `json:"node,omitempty"`
	APIURL string `json:"api_url,omitempty"`
	// LoginQueueBudget is how long a login may wait for the password
	// check before the node answers rate_limited instead (default 8 s: well
	// inside the client's 15 s per call).
	LoginQueueBudget Duration `json:"login_queue_budget,omitempty"`
}

// PostureConfig is the device policy.
type PostureConfig struct {
	RequireAntivirus bool   `json:"require_antivirus"`
	InstallURL       string `json:"install_url,omitempty"`
}

// WireGuardConfig is the gateway's tunnel.
type WireGuardConfig struct {
	Mode           string `json:"mode"`             // netstack or tun
	ListenPort     int    `json:"listen_port"`      // UDP
	Address        string `json:"address"`          // gateway address and pool, e.g. 10.77.0.1/24
	Endpoint       string `json:"endpoint"`         // host:port clients dial; default the API host with listen_port
	MTU            int    `json:"mtu,omitempty"`    // default 1420
	Keepalive      int    `json:"keepalive"`        // seconds, told to clients
	PrivateKeyFile string `json:"private_key_file"` // created on first start
	TUNName        string `json:"tun_name,omitempty"`
	NAT            bool   `json:"nat,omitempty"`
	// MaxStreams bounds the TCP streams (the tunnel over HTTPS for clients
	// whose UDP is blocked) open at once; default 10000.
	MaxStreams int `json:"max_streams,omitempty"`
}

// GroupConfig is what a group's users get pushed.
type GroupConfig struct {
	Routes        []string `json:"routes"`
	DNS           []string `json:"dns,omitempty"`
	SearchDomains []string `json:"search_domains,omitempty"`
	PortalURL     string   `json:"portal_url,omitempty"`
	Banner        string   `json:"banner,omitempty"`

	// CertMove is the group's 인증서 이동 policy (certmove.go).
	CertMove CertMovePolicy `json:"cert_move,omitzero"`
	// KillSwitch makes the group's clients always on: nothing leaves their
	// PC outside the tunnel while connected and until they log out,
	// whatever their profile says; AllowLAN lets the local network through
	// it. The stricter of this and the client's profile applies.
	KillSwitch bool `json:"kill_switch,omitempty"`
	AllowLAN   bool `json:"allow_lan,omitempty"`
	// NoCaptiveExemption forbids the group's users to open the kill switch
	// for a captive portal's sign-in page (svpnctl captive-exempt).
	NoCaptiveExemption bool `json:"no_captive_exemption,omitempty"`
}

// DefaultPolicies are the policy OIDs accepted unless configured: general-
// purpose (범용) and bank-use personal certificates of the accredited CAs,
// and GPKI personal certificates.
var DefaultPolicies = []string{
	"1.2.410.200005.1.1.1", "1.2.410.200005.1.1.4", // yessign 범용, 은행·보험용
	"1.2.410.200004.5.2.1.2", "1.2.410.200004.5.2.1.7.1", // KICA
	"1.2.410.200004.5.1.1.5",                             // SignKorea
	"1.2.410.200004.5.4.1.1", "1.2.410.200004.5.4.1.101", // CrossCert
	"1.2.410.200012.1.1.1", "1.2.410.200012.1.1.101", // TradeSign
	"1.2.410.100001.2.2.1", // GPKI 개인
}

// PasswordPolicy is the password_policy section of the config file: the
// api.PasswordRules the gateway enforces (passwordrules.Check) and publishes
// in /api/v1/info. Config files name two rules differently from the wire,
// max_repeat and forbid_old; those keys are what it writes, and it reads
// them or the wire's max_repeated and forbid_reuse_last, one of each pair.
type PasswordPolicy api.PasswordRules

// Rules returns the policy as the API carries it.
func (p PasswordPolicy) Rules() api.PasswordRules { return api.PasswordRules(p) }

// passwordPolicyJSON reads PasswordPolicy: the wire's keys from the
// embedded rules plus the config's names of the two renamed rules.
type passwordPolicyJSON struct {
	*rulesFields
	MaxRepeat *int  `json:"max_repeat"`
	ForbidOld *bool `json:"forbid_old"`
}

// rulesFields is api.PasswordRules without PasswordPolicy's methods.
type rulesFields api.PasswordRules

func (p PasswordPolicy) MarshalJSON() ([]byte, error) {
	// The two renamed rules are written under the config's names only.
	var m map[string]any
	b, err := json.Marshal(api.PasswordRules(p))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	m["max_repeat"], m["forbid_old"] = m["max_repeated"], m["forbid_reuse_last"]
	delete(m, "max_repeated")
	delete(m, "forbid_reuse_last")
	return json.Marshal(m)
}

func (p *PasswordPolicy) UnmarshalJSON(b []byte) error {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return err
	}
	for _, pair := range [][2]string{{"max_repeat", "max_repeated"}, {"forbid_old", "forbid_reuse_last"}} {
		if _, a := keys[pair[0]]; a {
			if _, b := keys[pair[1]]; b {
				return fmt.Errorf("password_policy: give %s or %s, not both", pair[0], pair[1])
			}
		}
	}
	var r rulesFields
	aux := passwordPolicyJSON{rulesFields: &r}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields() // the outer decoder's setting does not reach here
	if err := dec.Decode(&aux); err != nil {
		return fmt.Errorf("password_policy: %w", err)
	}
	if aux.MaxRepeat != nil {
		r.MaxRepeated = *aux.MaxRepeat
	}
	if aux.ForbidOld != nil {
		r.ForbidReuseLast = *aux.ForbidOld
	}
	*p = PasswordPolicy(r)
	return nil
}

// LoadConfig reads a config file and fills in defaults.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c Config
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.SetDefaults()
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &c, nil
}

// SetDefaults fills every unset field with its default.
func (c *Config) SetDefaults() {
	if c.Name == "" {
		c.Name = "원격근무서비스"
	}
	if c.Listen == "" {
		c.Listen = ":8443"
	}
	if len(c.AllowedPolicies) == 0 {
		c.AllowedPolicies = DefaultPolicies
	}
	if c.CRLRefresh == 0 {
		c.CRLRefresh = Duration(time.Hour)
	}
	if c.CRLGrace == 0 {
		c.CRLGrace = Duration(DefaultCRLGrace)
	}
	if c.Argon2 == (password.Params{}) {
		c.Argon2 = password.DefaultParams
	}
	if c.PasswordPolicy == (PasswordPolicy{}) {
		c.PasswordPolicy = PasswordPolicy(passwordrules.Default())
	}
	if c.MaxFailures == 0 {
		c.MaxFailures = 5
	}
	if c.SourceLimit == 0 {
		c.SourceLimit = 30
	}
	if c.SourceWindow == 0 {
		c.SourceWindow = Duration(15 * time.Minute)
	}
	if c.SessionLifetime == 0 {
		c.SessionLifetime = Duration(10 * time.Hour)
	}
	if c.SessionIdle == 0 {
		c.SessionIdle = Duration(30 * time.Minute)
	}
	if c.HeartbeatInterval == 0 {
		c.HeartbeatInterval = Duration(30 * time.Second)
	}
	if c.SingleSession == nil {
		t := true
		c.SingleSession = &t
	}
	if c.WG.Mode == "" {
		c.WG.Mode = "netstack"
	}
	if c.WG.ListenPort == 0 {
		c.WG.ListenPort = 51820
	}
	if c.WG.Address == "" {
		c.WG.Address = "10.77.0.1/24"
	}
	if c.WG.MTU == 0 {
		c.WG.MTU = 1420
	}
	if c.WG.Keepalive == 0 {
		c.WG.Keepalive = 25
	}
	if c.Groups == nil {
		c.Groups = map[string]GroupConfig{}
	}
	if _, ok := c.Groups["default"]; !ok {
		p, err := netip.ParsePrefix(c.WG.Address)
		if err == nil {
			c.Groups["default"] = GroupConfig{Routes: []string{p.Masked().String()}}
		}
	}
}

// Validate reports the first configuration error, naming the field.
func (c *Config) Validate() error {
	var errs []error
	if err := (api.LoginBinding{GatewayID: c.GatewayID}).CheckGatewayID(); err != nil {
		errs = append(errs, errors.New("gateway_id: required, 1 to 64 printable ASCII characters; clients pin it in their profile"))
	}
	if c.Store == "" {
		errs = append(errs, errors.New("store: required"))
	}
	if len(c.TrustAnchors) == 0 {
		errs = append(errs, errors.New("trust_anchors: at least one CA file"))
	}
	p, err := netip.ParsePrefix(c.WG.Address)
	if err != nil || !p.Addr().Is4() || p.Bits() > 30 {
		errs = append(errs, fmt.Errorf("wireguard.address: an IPv4 prefix of /30 or wider with the gateway's address, got %q", c.WG.Address))
	}
	if c.WG.Mode != "netstack" && c.WG.Mode != "tun" {
		errs = append(errs, fmt.Errorf("wireguard.mode: netstack or tun, got %q", c.WG.Mode))
	}
	for name, g := range c.Groups {
		for _, r := range g.Routes {
			if _, err := netip.ParsePrefix(r); err != nil {
				errs = append(errs, fmt.Errorf("groups.%s.routes: %w", name, err))
			}
		}
		for _, d := range g.DNS {
			if _, err := netip.ParseAddr(d); err != nil {
				errs = append(errs, fmt.Errorf("groups.%s.dns: %w", name, err))
			}
		}
		errs = append(errs, g.CertMove.validate("groups."+name+".cert_move")) // certmove.go
	}
	if c.CRLGrace < 0 {
		errs = append(errs, fmt.Errorf("crl_grace: must not be negative, got %s", time.Duration(c.CRLGrace)))
	}
	if c.CRLRefresh < 0 {
		errs = append(errs, fmt.Errorf("crl_refresh: must be positive, got %s", time.Duration(c.CRLRefresh)))
	}
	if _, err := parseTrustedProxies(c.TrustedProxies); err != nil {
		errs = append(errs, fmt.Errorf("trusted_proxies: %w", err))
	}
	if err := c.Argon2.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("argon2: %w", err))
	}
	return errors.Join(errs...)
}

// group returns the settings of a user's group.
func (c *Config) group(name string) GroupConfig {
	if g, ok := c.Groups[name]; ok {
		return g
	}
	return c.Groups["default"]
}
