package main

func defaultProfile() string  { return "/etc/svpn/profile.json" }
func defaultStateDir() string { return "/var/lib/svpn" }
