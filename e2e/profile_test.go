package e2e

import (
	"encoding/json"
	"os"

	"github.com/opensvpn/svpn/api"
)

// rewriteProfileURL points a profile at another gateway URL.
func rewriteProfileURL(path, url string) error {
	p, err := api.LoadProfile(path)
	if err != nil {
		return err
	}
	p.GatewayURL = url
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}
