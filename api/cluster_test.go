package api

import (
	"slices"
	"strings"
	"testing"
)

func TestProfileGateways(t *testing.T) {
	p := Profile{Name: "x", GatewayURL: "https://a:8443", GatewayID: "gw",
		GatewayURLs: []string{"https://b:8443", "https://a:8443", "https://c:8443", "https://b:8443"}}
	if got, want := p.Gateways(), []string{"https://a:8443", "https://b:8443", "https://c:8443"}; !slices.Equal(got, want) {
		t.Errorf("Gateways = %v, want %v", got, want)
	}
	if err := p.Validate(); err != nil {
		t.Errorf("valid profile: %v", err)
	}
	for _, bad := range []string{"http://b:8443", "https://", "https://b:8443/path", "b:8443"} {
		p.GatewayURLs = []string{"https://b:8443", bad}
		err := p.Validate()
		if err == nil || !strings.Contains(err.Error(), "gateway_urls[1]") {
			t.Errorf("gateway_urls %q: %v", bad, err)
		}
	}
	if got := (&Profile{GatewayURL: "https://a"}).Gateways(); !slices.Equal(got, []string{"https://a"}) {
		t.Errorf("one node: %v", got)
	}
}
