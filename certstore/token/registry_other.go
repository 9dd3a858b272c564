//go:build !linux

package token

// RegistryModules is empty on Windows and macOS: no module registry is
// confirmed from a primary source there (the KCAC.TS.HSMU driver list's
// registry location is not), so only the profile's modules are allowed.
func RegistryModules() []Module { return nil }
