package api

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Profile is a gateway a client may connect to, installed system-wide by
// the installer (or written by `svpn-gateway demo`). svpnd talks only to
// gateways of installed profiles, so a local user cannot point it at a
// gateway of their choosing.
type Profile struct {
	Name         string `json:"name"`                    // shown to the user, e.g. 원격근무서비스
	GatewayURL   string `json:"gateway_url"`             // https://host:port
	GatewayID    string `json:"gateway_id"`              // the gateway's gateway_id, pinned: every login signature names it
	CAFile       string `json:"ca_file,omitempty"`       // PEM that verifies the gateway's TLS certificate; empty = system roots
	CAPin        string `json:"ca_pin,omitempty"`        // optional SHA-256 of the gateway certificate's SPKI, base64
	Helpdesk     string `json:"helpdesk,omitempty"`      // e.g. ☎ 콜센터 : 1833-6570 (운영시간 : 09:00 ~ 18:00)
	ManualURL    string `json:"manual_url,omitempty"`    // user manual
	AntivirusURL string `json:"antivirus_url,omitempty"` // 백신 프로그램 설치 (필수)
	// PKCS11Modules are the security token drivers the front ends may load
	// besides the system's module registry (profile_pkcs11.go).
	PKCS11Modules []PKCS11Module `json:"pkcs11_modules,omitempty"`
	// Transport is how the tunnel travels: "auto" (default), "udp" or "tcp".
	Transport Transport `json:"transport,omitempty"`
	AlwaysOn
	// GatewayURLs are further nodes of the same gateway (same gateway_id,
	// certificate and CA), tried in order after gateway_url when it stops
	// answering: see Gateways.
	GatewayURLs []string `json:"gateway_urls,omitempty"`
}

// AlwaysOn is the "always on" policy an installed profile sets (the
// gateway's group policy, in Tunnel, can only make it stricter): see
// alwayson.go.
type AlwaysOn struct {
	// KillSwitch: while a session is up, and until the user logs out,
	// nothing leaves the PC but to the gateway, through the tunnel, to
	// loopback, DHCP/NDP and (AllowLAN) the local network.
	KillSwitch bool `json:"kill_switch,omitempty"`
	// AllowLAN lets the connected local subnets through the kill switch
	// (printers, a home NAS).
	AllowLAN bool `json:"allow_lan,omitempty"`
	// CaptiveProbeURL is a plain-HTTP URL answering 204 No Content; when
	// the gateway is unreachable svpnd fetches it and, if the network
	// answers something else (a hotel's sign-in page), says so. Empty: no
	// probe.
	CaptiveProbeURL string `json:"captive_probe_url,omitempty"`
	// CaptiveExemptionMinutes, when non-zero, lets the user open HTTP,
	// HTTPS and DNS through the kill switch for this many minutes (at most
	// 30) to sign in to a captive portal; every exemption is logged.
	CaptiveExemptionMinutes int `json:"captive_exemption_minutes,omitempty"`
}

// LoadProfile reads and validates a profile file.
func LoadProfile(path string) (*Profile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, Errorf(CodeProfileInvalid, "profile %s: %w", path, err)
	}
	var p Profile
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, Errorf(CodeProfileInvalid, "profile %s: %w", path, err)
	}
	if err := p.Validate(); err != nil {
		return nil, Errorf(CodeProfileInvalid, "profile %s: %w", path, err)
	}
	// A relative ca_file is next to the profile, so one profile folder
	// works wherever an installer puts it.
	if p.CAFile != "" && !filepath.IsAbs(p.CAFile) {
		p.CAFile = filepath.Join(filepath.Dir(path), p.CAFile)
	}
	return &p, nil
}

// Validate names every problem of a profile.
func (p *Profile) Validate() error {
	var errs []error
	if strings.TrimSpace(p.Name) == "" {
		errs = append(errs, errors.New("name: required"))
	}
	u, err := url.Parse(p.GatewayURL)
	if err != nil || u.Scheme != "https" || u.Host == "" || (u.Path != "" && u.Path != "/") {
		errs = append(errs, fmt.Errorf("gateway_url: an https://host[:port] URL, got %q", p.GatewayURL))
	}
	errs = append(errs, p.validateGatewayURLs()...)
	if err := (LoginBinding{GatewayID: p.GatewayID}).CheckGatewayID(); err != nil {
		errs = append(errs, fmt.Errorf("gateway_id: required, the gateway_id of the gateway's configuration (1 to 64 printable ASCII characters), got %q", p.GatewayID))
	}
	if p.CAPin != "" {
		if b, err := base64.StdEncoding.DecodeString(p.CAPin); err != nil || len(b) != sha256.Size {
			errs = append(errs, fmt.Errorf("ca_pin: the base64 SHA-256 of the gateway certificate's public key (44 characters), got %q", p.CAPin))
		}
	}
	if !p.Transport.Valid() {
		errs = append(errs, fmt.Errorf("transport: %q, %q or %q, got %q", TransportAuto, TransportUDP, TransportTCP, p.Transport))
	}
	for field, v := range map[string]string{"manual_url": p.ManualURL, "antivirus_url": p.AntivirusURL} {
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
			errs = append(errs, fmt.Errorf("%s: an http(s) URL, got %q", field, v))
		}
	}
	errs = append(errs, p.validatePKCS11Modules()...)
	errs = append(errs, p.AlwaysOn.validate()...)
	return errors.Join(errs...)
}

// CodeProfileInvalid: the installed profile is missing or malformed.
const CodeProfileInvalid Code = "profile_invalid"
