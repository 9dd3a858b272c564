package main

func defaultProfile() string  { return "/Library/Application Support/SVPN/profile.json" }
func defaultStateDir() string { return "/Library/Application Support/SVPN/state" }
