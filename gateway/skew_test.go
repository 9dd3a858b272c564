package gateway

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/opensvpn/svpn/api"
	"github.com/opensvpn/svpn/certstore/certgen"
)

// TestVersionSkew: a newer client's requests carry fields this gateway does
// not know, and are served; a client that declares an API version newer
// than the gateway's gets a code that says so.
func TestVersionSkew(t *testing.T) {
	h := newHarness(t, nil)
	a := h.addUser("skew01", "Right-pass9!", false, nil, certgen.UserOptions{Name: "버전", Key: h.pki.Root.Key})
	post := func(version string, body any) (*http.Response, api.ErrorResponse) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, h.baseURL()+api.PathChallenge, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if version != "" {
			req.Header.Set(api.APIVersionHeader, version)
		}
		resp, err := h.httpClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e api.ErrorResponse
		json.NewDecoder(resp.Body).Decode(&e)
		return resp, e
	}
	newer := map[string]any{"user_id": a.id, "wg_public_key": a.wg.Public().String(), "device_attestation": map[string]string{"tpm": "x"}}
	if resp, e := post("1", newer); resp.StatusCode != http.StatusOK {
		t.Fatalf("a request with an unknown field: %s %+v", resp.Status, e)
	}
	if resp, e := post("", newer); resp.StatusCode != http.StatusOK {
		t.Fatalf("a request without a version: %s %+v", resp.Status, e)
	}
	if resp, e := post("2", newer); resp.StatusCode != http.StatusBadRequest || e.Code != api.CodeAPIVersion {
		t.Fatalf("a client of API version 2: %s %+v", resp.Status, e)
	}
	if _, e := post("two", newer); e.Code != api.CodeBadRequest {
		t.Fatalf("a malformed version: %+v", e)
	}
	// And the whole login still works with today's client.
	if _, err := h.login(a); err != nil {
		t.Fatal(err)
	}
}
