//go:build !linux && !windows && !darwin

package posture

import (
	"context"

	"github.com/opensvpn/svpn/api"
)

// collect knows no antivirus products on other systems: the report is
// empty and the gateway's policy decides.
func collect(context.Context) []api.Antivirus { return nil }

// osVersion is unknown on other systems.
func osVersion() string { return "" }
