package gateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestPortalDownload(t *testing.T) {
	srv := httptest.NewServer(PortalHandler("test"))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/download/10MB")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.ContentLength != 10<<20 {
		t.Fatalf("status %d, length %d", resp.StatusCode, resp.ContentLength)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 10<<20 {
		t.Fatalf("got %d bytes", len(b))
	}
	for i, c := range b {
		if c != byte(i%251) {
			t.Fatalf("byte %d is %d, want %d", i, c, i%251)
		}
	}
}
