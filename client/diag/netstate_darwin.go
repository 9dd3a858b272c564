package diag

// NetworkCommands record the network state the helpdesk needs on macOS.
func NetworkCommands() []Command {
	return []Command{
		{"ifconfig.txt", []string{"ifconfig"}},
		{"netstat-rn.txt", []string{"netstat", "-rn"}},
		{"scutil-dns.txt", []string{"scutil", "--dns"}},
	}
}
