package main

import (
	"os"
	"path/filepath"
)

func programData() string {
	if d := os.Getenv("ProgramData"); d != "" {
		return d
	}
	return `C:\ProgramData`
}

func defaultProfile() string  { return filepath.Join(programData(), "SVPN", "profile.json") }
func defaultStateDir() string { return filepath.Join(programData(), "SVPN", "state") }
