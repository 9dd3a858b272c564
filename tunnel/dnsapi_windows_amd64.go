//go:build windows

package tunnel

import (
	"unsafe"

	"golang.org/x/sys/windows"
)

// callSetInterfaceDnsSettings: on amd64 a 16-byte struct passed by value
// travels as a pointer to a copy.
func callSetInterfaceDnsSettings(p *windows.LazyProc, guid *windows.GUID, s *dnsInterfaceSettings) uintptr {
	r, _, _ := p.Call(uintptr(unsafe.Pointer(guid)), uintptr(unsafe.Pointer(s)))
	return r
}
