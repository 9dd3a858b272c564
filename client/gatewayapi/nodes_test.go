package gatewayapi

import "testing"

func TestNodes(t *testing.T) {
	c, err := New("https://a:8443/", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Base() != "https://a:8443" {
		t.Errorf("Base = %s", c.Base())
	}
	b, err := c.On("https://b:8443")
	if err != nil || b.Base() != "https://b:8443" || c.Base() != "https://a:8443" {
		t.Errorf("On: %v %v, and c is at %s", b, err, c.Base())
	}
	if err := c.SetBase("https://b:8443/"); err != nil || c.Base() != "https://b:8443" {
		t.Errorf("SetBase: %v, %s", err, c.Base())
	}
	// A profile's node list cannot make the client leave TLS.
	if err := c.SetBase("http://b:8443"); err == nil || c.Base() != "https://b:8443" {
		t.Errorf("SetBase(http): %v, at %s", err, c.Base())
	}
	if _, err := c.On("http://b:8443"); err == nil {
		t.Error("On(http) accepted")
	}
}
