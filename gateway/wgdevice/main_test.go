package wgdevice

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"
	"time"
)

// fetchEnv, when set, turns the test binary into a tiny HTTP client: the
// root tests run it inside a network namespace when curl is missing.
const fetchEnv = "SVPN_WGDEVICE_TEST_FETCH"

func TestMain(m *testing.M) {
	if url := os.Getenv(fetchEnv); url != "" {
		os.Exit(fetchMain(url))
	}
	os.Exit(m.Run())
}

// fetchMain behaves like `curl -s --max-time 5 url`.
func fetchMain(url string) int {
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer resp.Body.Close()
	if _, err := io.Copy(os.Stdout, resp.Body); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
