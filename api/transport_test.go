package api

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProfileTransport(t *testing.T) {
	base := Profile{Name: "n", GatewayURL: "https://gw.example:8443", GatewayID: "gw1"}
	for _, tr := range []Transport{"", TransportAuto, TransportUDP, TransportTCP} {
		p := base
		p.Transport = tr
		if err := p.Validate(); err != nil {
			t.Errorf("transport %q: %v", tr, err)
		}
	}
	for _, tr := range []Transport{"quic", "TCP", " udp"} {
		p := base
		p.Transport = tr
		if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "transport") {
			t.Errorf("transport %q accepted: %v", tr, err)
		}
	}
	path := filepath.Join(t.TempDir(), "p.json")
	os.WriteFile(path, []byte(`{"name":"n","gateway_url":"https://gw.example","gateway_id":"gw1","transport":"tcp"}`), 0o600)
	p, err := LoadProfile(path)
	if err != nil || p.Transport != TransportTCP {
		t.Fatalf("%+v, %v", p, err)
	}
}
