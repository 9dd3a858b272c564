package diag

// NetworkCommands record the network state the helpdesk needs on Linux.
func NetworkCommands() []Command {
	return []Command{
		{"ip-addr.txt", []string{"ip", "addr"}},
		{"ip-route.txt", []string{"ip", "route", "show", "table", "all"}},
		{"ip-rule.txt", []string{"ip", "rule"}},
		{"resolv.conf", []string{"cat", "/etc/resolv.conf"}},
		{"resolvectl.txt", []string{"resolvectl", "status"}},
	}
}
