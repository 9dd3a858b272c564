package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/opensvpn/svpn/gateway"
	"github.com/opensvpn/svpn/gateway/store"
	"github.com/opensvpn/svpn/internal/textable"
)

// node lists the nodes of a cluster, or drains one: it takes no new logins
// and tells its clients to move (they resume their sessions on another
// node), and the command waits until it holds no session.
func (c *cli) node(ctx context.Context, args []string) error {
	sub, args, err := subcommand("node", "list|drain|undrain", args)
	if err != nil {
		return err
	}
	fs := c.flags("node " + sub)
	var name *string
	var wait *time.Duration
	var asJSON *bool
	switch sub {
	case "list":
		asJSON = fs.Bool("json", false, "print JSON")
	case "drain":
		name = fs.String("node", "", "node `name` (default: the config's node)")
		wait = fs.Duration("wait", 10*time.Minute, "wait this `long` for its sessions to move; 0 returns at once")
	case "undrain":
		name = fs.String("node", "", "node `name` (default: the config's node)")
	default:
		return usagef("node: unknown command %q", sub)
	}
	return c.withStore(ctx, fs, args, nil, func(st *store.Store, cfg *gateway.Config) error {
		if name != nil && *name == "" {
			*name = cfg.Node
			if *name == "" {
				*name = cfg.GatewayID
			}
		}
		switch sub {
		case "list":
			return c.nodeList(ctx, st, *asJSON)
		case "drain":
			return c.nodeDrain(ctx, st, *name, *wait)
		default:
			if err := st.SetNodeDraining(ctx, *name, false); err != nil {
				return err
			}
			c.auditAdmin(ctx, st, "node_undrained", "")
			fmt.Fprintf(c.stdout, "%s takes logins again\n", *name)
			return nil
		}
	})
}

// nodeJSON is a node in `node list --json`.
type nodeJSON struct {
	Node        string    `json:"node"`
	APIURL      string    `json:"api_url"`
	WGEndpoint  string    `json:"wg_endpoint"`
	Sessions    int       `json:"sessions"`
	StartedAt   time.Time `json:"started_at"`
	HeartbeatAt time.Time `json:"heartbeat_at"`
	State       string    `json:"state"` // up, draining, dead
}

func nodeState(n store.Node, now time.Time) string {
	switch {
	case !n.Alive(now, gateway.NodeDeadAfter):
		return "dead"
	case n.Draining:
		return "draining"
	}
	return "up"
}

func (c *cli) nodeList(ctx context.Context, st *store.Store, asJSON bool) error {
	nodes, err := st.Nodes(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	if asJSON {
		out := []nodeJSON{}
		for _, n := range nodes {
			out = append(out, nodeJSON{Node: n.ID, APIURL: n.APIURL, WGEndpoint: n.WGEndpoint, Sessions: n.Sessions,
				StartedAt: n.StartedAt, HeartbeatAt: n.HeartbeatAt, State: nodeState(n, now)})
		}
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	rows := [][]string{{"NODE", "STATE", "SESSIONS", "API", "WIREGUARD", "HEARTBEAT", "STARTED"}}
	for _, n := range nodes {
		rows = append(rows, []string{n.ID, nodeState(n, now), fmt.Sprint(n.Sessions), n.APIURL, n.WGEndpoint,
			now.Sub(n.HeartbeatAt).Round(time.Second).String() + " ago", n.StartedAt.Local().Format("01-02 15:04:05")})
	}
	textable.Print(c.stdout, rows)
	return nil
}

func (c *cli) nodeDrain(ctx context.Context, st *store.Store, name string, wait time.Duration) error {
	if err := st.SetNodeDraining(ctx, name, true); err != nil {
		return err
	}
	c.auditAdmin(ctx, st, "node_draining", "")
	fmt.Fprintf(c.stdout, "%s drains: no new logins; its clients move to the other nodes at their next heartbeat\n", name)
	if wait <= 0 {
		return nil
	}
	deadline := time.Now().Add(wait)
	last := -1
	for {
		n, err := nodeSessions(ctx, st, name)
		if err != nil {
			return err
		}
		if n != last {
			fmt.Fprintf(c.stdout, "%s: %d session(s) left\n", name, n)
			last = n
		}
		if n == 0 {
			fmt.Fprintf(c.stdout, "%s is drained: stop it now\n", name)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s still holds %d session(s) after %s", name, n, wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func nodeSessions(ctx context.Context, st *store.Store, name string) (int, error) {
	nodes, err := st.Nodes(ctx)
	if err != nil {
		return 0, err
	}
	for _, n := range nodes {
		if n.ID == name {
			return n.Sessions, nil
		}
	}
	return 0, fmt.Errorf("node %q: %w", name, store.ErrNotFound)
}
