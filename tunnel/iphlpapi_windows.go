//go:build windows

package tunnel

import (
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// iphlpapi holds the IP Helper functions golang.org/x/sys/windows has
// types for but no wrappers. They are looked up on first use; a missing
// one (SetInterfaceDnsSettings before Windows 10 2004) shows as an error
// from Find, which planDNS checks.
type iphlpapi struct {
	initializeUnicastIpAddressEntry *windows.LazyProc
	createUnicastIpAddressEntry     *windows.LazyProc
	initializeIpForwardEntry        *windows.LazyProc
	createIpForwardEntry2           *windows.LazyProc
	deleteIpForwardEntry2           *windows.LazyProc
	getBestRoute2                   *windows.LazyProc
	setIpInterfaceEntry             *windows.LazyProc
	convertInterfaceAliasToLuid     *windows.LazyProc
	convertInterfaceLuidToAlias     *windows.LazyProc
	convertInterfaceLuidToGuid      *windows.LazyProc
	setInterfaceDnsSettings         *windows.LazyProc
}

func loadIphlpapi() *iphlpapi {
	dll := windows.NewLazySystemDLL("iphlpapi.dll")
	return &iphlpapi{
		initializeUnicastIpAddressEntry: dll.NewProc("InitializeUnicastIpAddressEntry"),
		createUnicastIpAddressEntry:     dll.NewProc("CreateUnicastIpAddressEntry"),
		initializeIpForwardEntry:        dll.NewProc("InitializeIpForwardEntry"),
		createIpForwardEntry2:           dll.NewProc("CreateIpForwardEntry2"),
		deleteIpForwardEntry2:           dll.NewProc("DeleteIpForwardEntry2"),
		getBestRoute2:                   dll.NewProc("GetBestRoute2"),
		setIpInterfaceEntry:             dll.NewProc("SetIpInterfaceEntry"),
		convertInterfaceAliasToLuid:     dll.NewProc("ConvertInterfaceAliasToLuid"),
		convertInterfaceLuidToAlias:     dll.NewProc("ConvertInterfaceLuidToAlias"),
		convertInterfaceLuidToGuid:      dll.NewProc("ConvertInterfaceLuidToGuid"),
		setInterfaceDnsSettings:         dll.NewProc("SetInterfaceDnsSettings"),
	}
}

// netioErr turns a NETIO_STATUS / Win32 error code into an error.
func netioErr(r uintptr) error {
	if r == 0 {
		return nil
	}
	return syscall.Errno(r)
}

// sockaddrInet spells a as a SOCKADDR_INET.
func sockaddrInet(a netip.Addr) windows.RawSockaddrInet {
	var sa windows.RawSockaddrInet
	if a.Is4() {
		s4 := (*windows.RawSockaddrInet4)(unsafe.Pointer(&sa))
		s4.Family = windows.AF_INET
		s4.Addr = a.As4()
	} else {
		s6 := (*windows.RawSockaddrInet6)(unsafe.Pointer(&sa))
		s6.Family = windows.AF_INET6
		s6.Addr = a.As16()
	}
	return sa
}

// addrOf reads a SOCKADDR_INET; invalid for an unspecified family.
func addrOf(sa *windows.RawSockaddrInet) netip.Addr {
	switch sa.Family {
	case windows.AF_INET:
		return netip.AddrFrom4((*windows.RawSockaddrInet4)(unsafe.Pointer(sa)).Addr)
	case windows.AF_INET6:
		return netip.AddrFrom16((*windows.RawSockaddrInet6)(unsafe.Pointer(sa)).Addr)
	}
	return netip.Addr{}
}

func (ip *iphlpapi) luidOf(alias string) (uint64, error) {
	p, err := windows.UTF16PtrFromString(alias)
	if err != nil {
		return 0, err
	}
	if err := ip.convertInterfaceAliasToLuid.Find(); err != nil {
		return 0, err
	}
	var luid uint64
	r, _, _ := ip.convertInterfaceAliasToLuid.Call(uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(&luid)))
	return luid, netioErr(r)
}

func (ip *iphlpapi) aliasOf(luid uint64) (string, error) {
	if err := ip.convertInterfaceLuidToAlias.Find(); err != nil {
		return "", err
	}
	var buf [257]uint16 // NDIS_IF_MAX_STRING_SIZE + 1
	r, _, _ := ip.convertInterfaceLuidToAlias.Call(uintptr(unsafe.Pointer(&luid)), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
	if err := netioErr(r); err != nil {
		return "", err
	}
	return windows.UTF16ToString(buf[:]), nil
}

func (ip *iphlpapi) guidOf(luid uint64) (windows.GUID, error) {
	var g windows.GUID
	if err := ip.convertInterfaceLuidToGuid.Find(); err != nil {
		return g, err
	}
	r, _, _ := ip.convertInterfaceLuidToGuid.Call(uintptr(unsafe.Pointer(&luid)), uintptr(unsafe.Pointer(&g)))
	return g, netioErr(r)
}

// forwardRow is a MIB_IPFORWARD_ROW2 for r on the interface luid,
// initialized the way Windows wants (InitializeIpForwardEntry sets the
// lifetimes and "unspecified" values the create call checks).
func (ip *iphlpapi) forwardRow(luid uint64, dst netip.Prefix, gw netip.Addr, metric uint32) (*windows.MibIpForwardRow2, error) {
	if err := ip.initializeIpForwardEntry.Find(); err != nil {
		return nil, err
	}
	row := new(windows.MibIpForwardRow2)
	ip.initializeIpForwardEntry.Call(uintptr(unsafe.Pointer(row)))
	row.InterfaceLuid = luid
	row.DestinationPrefix.Prefix = sockaddrInet(dst.Addr())
	row.DestinationPrefix.PrefixLength = uint8(dst.Bits())
	if gw.IsValid() {
		row.NextHop = sockaddrInet(gw)
	} else if dst.Addr().Is4() {
		row.NextHop = sockaddrInet(netip.IPv4Unspecified()) // on-link
	} else {
		row.NextHop = sockaddrInet(netip.IPv6Unspecified())
	}
	row.Metric = metric
	row.Protocol = windows.MIB_IPPROTO_NETMGMT
	return row, nil
}

// dnsInterfaceSettings is DNS_INTERFACE_SETTINGS (netioapi.h), version 1.
type dnsInterfaceSettings struct {
	Version             uint32
	Flags               uint64
	Domain              *uint16
	NameServer          *uint16
	SearchList          *uint16
	RegistrationEnabled uint32
	RegisterAdapterName uint32
	EnableLLMNR         uint32
	QueryAdapterName    uint32
	ProfileNameServer   *uint16
}

const (
	dnsInterfaceSettingsVersion1 = 1
	dnsSettingIPv6               = 0x0001
	dnsSettingNameServer         = 0x0002
	dnsSettingSearchList         = 0x0004
)

// setDNSSettings calls SetInterfaceDnsSettings, whose GUID argument is
// passed by value: how that travels depends on the architecture's calling
// convention, which callSetInterfaceDnsSettings (one file per GOARCH)
// knows.
func (ip *iphlpapi) setDNSSettings(guid windows.GUID, s *dnsInterfaceSettings) error {
	if err := ip.setInterfaceDnsSettings.Find(); err != nil {
		return err
	}
	return netioErr(callSetInterfaceDnsSettings(ip.setInterfaceDnsSettings, &guid, s))
}
