package diag

// NetworkCommands record the network state the helpdesk needs on Windows.
func NetworkCommands() []Command {
	return []Command{
		{"ipconfig.txt", []string{"ipconfig", "/all"}},
		{"route.txt", []string{"route", "print"}},
		{"netsh-dns.txt", []string{"netsh", "interface", "ipv4", "show", "dnsservers"}},
	}
}
