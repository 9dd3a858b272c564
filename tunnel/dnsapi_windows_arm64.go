//go:build windows

package tunnel

import (
	"unsafe"

	"golang.org/x/sys/windows"
)

// callSetInterfaceDnsSettings: on arm64 a 16-byte struct passed by value
// travels in two registers.
func callSetInterfaceDnsSettings(p *windows.LazyProc, guid *windows.GUID, s *dnsInterfaceSettings) uintptr {
	words := (*[2]uintptr)(unsafe.Pointer(guid))
	r, _, _ := p.Call(words[0], words[1], uintptr(unsafe.Pointer(s)))
	return r
}
