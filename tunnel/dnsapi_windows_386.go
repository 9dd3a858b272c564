//go:build windows

package tunnel

import (
	"unsafe"

	"golang.org/x/sys/windows"
)

// callSetInterfaceDnsSettings: on 386 a struct passed by value travels on
// the stack, four 32-bit words.
func callSetInterfaceDnsSettings(p *windows.LazyProc, guid *windows.GUID, s *dnsInterfaceSettings) uintptr {
	words := (*[4]uintptr)(unsafe.Pointer(guid))
	r, _, _ := p.Call(words[0], words[1], words[2], words[3], uintptr(unsafe.Pointer(s)))
	return r
}
