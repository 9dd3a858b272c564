package gateway

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/opensvpn/svpn/api"
)

// DemoNode is one gateway process of a demo cluster.
type DemoNode struct {
	APIURL string `json:"api_url"`
	WGPort int    `json:"wg_port"`
	Config string `json:"config"` // that node's config file, usable with the admin commands
	PID    int    `json:"pid"`
}

// PrepareDemoNodes writes the config of nodes 2…n of a demo cluster beside
// node 1's (cfg, already pointed at the cluster's store): each its own node
// name, API port and WireGuard port, all on host (loopback), and the one
// WireGuard key of the gateway (a client moves between nodes without a new
// handshake key). It returns
// every node's config, node 1 first, and the API URLs, and adds them to the
// profile in order.
func PrepareDemoNodes(dir string, cfg *Config, d *Demo, n int) ([]*Config, []string, error) {
	host, _, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, nil, err
	}
	if host == "" || host == "0.0.0.0" {
		host = "127.0.0.1"
	}
	cfg.Node = "node1"
	cfg.APIURL = d.APIURL
	cfgs, urls := []*Config{cfg}, []string{d.APIURL}
	for i := 2; i <= n; i++ {
		var c Config
		b, _ := json.Marshal(cfg)
		if err := json.Unmarshal(b, &c); err != nil {
			return nil, nil, err
		}
		api, err := freePort("tcp", host)
		if err != nil {
			return nil, nil, err
		}
		wg, err := freePort("udp", host)
		if err != nil {
			return nil, nil, err
		}
		c.Node = "node" + strconv.Itoa(i)
		c.Listen = net.JoinHostPort(host, strconv.Itoa(api))
		c.APIURL = "https://" + c.Listen
		c.WG.ListenPort = wg
		c.WG.Endpoint = net.JoinHostPort(host, strconv.Itoa(wg))
		if err := c.Validate(); err != nil {
			return nil, nil, err
		}
		cfgs, urls = append(cfgs, &c), append(urls, c.APIURL)
	}
	for _, c := range cfgs {
		if err := writeJSONFile(filepath.Join(dir, c.Node+".json"), c); err != nil {
			return nil, nil, err
		}
	}
	b, err := os.ReadFile(d.Profile)
	if err != nil {
		return nil, nil, err
	}
	var p api.Profile
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", d.Profile, err)
	}
	p.GatewayURL, p.GatewayURLs = urls[0], urls[1:]
	if err := writeJSONFile(d.Profile, p); err != nil {
		return nil, nil, err
	}
	d.Config = filepath.Join(dir, "node1.json")
	return cfgs, urls, nil
}

// freePort returns a port free at the moment on host.
func freePort(network, host string) (int, error) {
	if network == "udp" {
		c, err := net.ListenPacket("udp", net.JoinHostPort(host, "0"))
		if err != nil {
			return 0, err
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port, nil
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// FreePort is a free loopback TCP port, for the demo's PostgreSQL.
func FreePort() (int, error) { return freePort("tcp", "127.0.0.1") }
