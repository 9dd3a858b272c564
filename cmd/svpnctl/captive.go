package main

import (
	"context"
	"fmt"
	"time"

	"github.com/opensvpn/svpn/internal/cliflags"
)

// captiveExempt opens a captive-portal exemption through the kill switch.
func (c *cli) captiveExempt(args []string) int {
	fs := c.newFlags("captive-exempt")
	if code, ok := cliflags.Parse(fs, args); !ok {
		return code
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	d := c.daemon()
	defer d.Close()
	st, err := d.CaptiveExempt(ctx)
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.stdout, "web and DNS pass the kill switch until %s: sign in to the network's page now (recorded in the gateway's audit log)\n", st.CaptiveExemptUntil.Local().Format("15:04:05"))
	return exitOK
}
