//go:build windows && (amd64 || arm64)

package firewall

import (
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// The WFP structures of fwpmtypes.h / fwptypes.h that the filters need,
// laid out as the 64-bit C compiler lays them out (this file builds for
// amd64 and arm64 only; 32-bit Windows gets wfp_windows_386.go).

type fwpmDisplayData0 struct {
	name        *uint16
	description *uint16
}

type fwpByteBlob struct {
	size uint32
	data *uint8
}

type fwpmSession0 struct {
	sessionKey           windows.GUID
	displayData          fwpmDisplayData0
	flags                uint32
	txnWaitTimeoutInMSec uint32
	processID            uint32
	sid                  *windows.SID
	username             *uint16
	kernelMode           int32
}

type fwpmSublayer0 struct {
	subLayerKey  windows.GUID
	displayData  fwpmDisplayData0
	flags        uint32
	providerKey  *windows.GUID
	providerData fwpByteBlob
	weight       uint16
}

// fwpValue0 and fwpConditionValue0: a type tag and a pointer-sized union.
type fwpValue0 struct {
	typ   uint32
	value uintptr
}

type fwpmFilterCondition0 struct {
	fieldKey  windows.GUID
	matchType uint32
	value     fwpValue0
}

type fwpmAction0 struct {
	typ        uint32
	filterType windows.GUID
}

type fwpmFilter0 struct {
	filterKey           windows.GUID
	displayData         fwpmDisplayData0
	flags               uint32
	providerKey         *windows.GUID
	providerData        fwpByteBlob
	layerKey            windows.GUID
	subLayerKey         windows.GUID
	weight              fwpValue0
	numFilterConditions uint32
	filterCondition     *fwpmFilterCondition0
	action              fwpmAction0
	providerContext     [2]uint64 // union { UINT64 rawContext; GUID providerContextKey }
	reserved            *windows.GUID
	filterID            uint64
	effectiveWeight     fwpValue0
}

type fwpV4AddrAndMask struct{ addr, mask uint32 }

type fwpV6AddrAndMask struct {
	addr         [16]byte
	prefixLength uint8
}

const (
	fwpUint8         = 1
	fwpUint16        = 2
	fwpUint32        = 3
	fwpUint64        = 4
	fwpV4AddrMask    = 0x100
	fwpV6AddrMask    = 0x101
	fwpMatchEqual    = 0
	fwpMatchFlagsAll = 6

	fwpActionBlock  = 0x1001
	fwpActionPermit = 0x1002

	fwpmSessionFlagDynamic     = 0x1
	fwpmSublayerFlagPersistent = 0x1
	fwpmFilterFlagPersistent   = 0x1
	fwpmFilterFlagClearAction  = 0x8

	fwpConditionFlagIsLoopback = 0x1
	rpcCAuthnWinNT             = 10

	fwpEFilterNotFound   = 0x80320003
	fwpESublayerNotFound = 0x80320007
	fwpEAlreadyExists    = 0x80320009
)

var (
	layerConnectV4GUID = windows.GUID{Data1: 0xc38d57d1, Data2: 0x05a7, Data3: 0x4c33, Data4: [8]byte{0x90, 0x4f, 0x7f, 0xbc, 0xee, 0xe6, 0x0e, 0x82}}
	layerConnectV6GUID = windows.GUID{Data1: 0x4a72393b, Data2: 0x319f, Data3: 0x44bc, Data4: [8]byte{0x84, 0xc3, 0xba, 0x54, 0xdc, 0xb3, 0xb6, 0xb4}}

	condFlags          = windows.GUID{Data1: 0x632ce23b, Data2: 0x5167, Data3: 0x435c, Data4: [8]byte{0x86, 0xd7, 0xe9, 0x03, 0x68, 0x4a, 0xa8, 0x0c}}
	condLocalInterface = windows.GUID{Data1: 0x4cd62a49, Data2: 0x59c3, Data3: 0x4969, Data4: [8]byte{0xb7, 0xf3, 0xbd, 0xa5, 0xd3, 0x28, 0x90, 0xa4}}
	condProtocol       = windows.GUID{Data1: 0x3971ef2b, Data2: 0x623e, Data3: 0x4f9a, Data4: [8]byte{0x8c, 0xb1, 0x6e, 0x79, 0xb8, 0x06, 0xb9, 0xa7}}
	condRemoteAddr     = windows.GUID{Data1: 0xb235ae9a, Data2: 0x1d64, Data3: 0x49b8, Data4: [8]byte{0xa4, 0x4c, 0x5f, 0xf3, 0xd9, 0x09, 0x50, 0x45}}
	condRemotePort     = windows.GUID{Data1: 0xc35a604d, Data2: 0xd22b, Data3: 0x4e1a, Data4: [8]byte{0x91, 0xb4, 0x68, 0xf6, 0x74, 0xee, 0x67, 0x4b}}
	condLocalPort      = windows.GUID{Data1: 0x0c1ba1af, Data2: 0x5765, Data3: 0x453f, Data4: [8]byte{0xaf, 0x22, 0xa8, 0xf7, 0x91, 0xac, 0x77, 0x5b}}

	// Our sublayer; filter keys are derived from it (filterKey), so a
	// restarted svpnd can delete a crashed run's filters by key.
	svpnSublayer = windows.GUID{Data1: 0x5356504e, Data2: 0x4b53, Data3: 0x4757, Data4: [8]byte{0x8a, 0x31, 0x0d, 0x6f, 0x2b, 0x9e, 0x41, 0x00}}
)

// maxFilters bounds the filters of one rule set, so removal can delete by
// every key there can be.
const maxFilters = 512

func filterKey(i int) windows.GUID {
	k := svpnSublayer
	k.Data4[6], k.Data4[7] = byte(i>>8)|0x80, byte(i)
	return k
}

var (
	fwpuclnt                 = windows.NewLazySystemDLL("fwpuclnt.dll")
	procEngineOpen0          = fwpuclnt.NewProc("FwpmEngineOpen0")
	procEngineClose0         = fwpuclnt.NewProc("FwpmEngineClose0")
	procTransactionBegin0    = fwpuclnt.NewProc("FwpmTransactionBegin0")
	procTransactionCommit0   = fwpuclnt.NewProc("FwpmTransactionCommit0")
	procTransactionAbort0    = fwpuclnt.NewProc("FwpmTransactionAbort0")
	procSubLayerAdd0         = fwpuclnt.NewProc("FwpmSubLayerAdd0")
	procSubLayerDeleteByKey0 = fwpuclnt.NewProc("FwpmSubLayerDeleteByKey0")
	procFilterAdd0           = fwpuclnt.NewProc("FwpmFilterAdd0")
	procFilterDeleteByKey0   = fwpuclnt.NewProc("FwpmFilterDeleteByKey0")

	iphlpapi                        = windows.NewLazySystemDLL("iphlpapi.dll")
	procConvertInterfaceAliasToLuid = iphlpapi.NewProc("ConvertInterfaceAliasToLuid")
)

func wfpErr(r uintptr, what string) error {
	if r == 0 {
		return nil
	}
	return fmt.Errorf("firewall: %s: %w", what, syscall.Errno(r))
}

// wfpBackend holds two engine sessions: a dynamic one, whose objects
// Windows removes when svpnd exits (the IPv6 block, which must not outlive
// the tunnel), and a static one for the kill switch, whose filters are
// persistent: they survive svpnd and a reboot until removed.
type wfpBackend struct {
	mu      sync.Mutex
	dynamic windows.Handle
	static  windows.Handle
	name    *uint16
}

func newBackend(o Options) (backend, error) {
	if o.netnsFD != 0 {
		return nil, errors.New("firewall: network namespaces are Linux's")
	}
	name := o.Table
	if name == "" {
		name = DefaultTable
	}
	if !validTable(name) {
		return nil, fmt.Errorf("firewall: invalid WFP sublayer name %q", name)
	}
	n, err := windows.UTF16PtrFromString("SVPN " + name)
	if err != nil {
		return nil, err
	}
	b := &wfpBackend{name: n}
	if b.static, err = openEngine(0, n); err != nil {
		return nil, err
	}
	if b.dynamic, err = openEngine(fwpmSessionFlagDynamic, n); err != nil {
		procEngineClose0.Call(uintptr(b.static))
		return nil, err
	}
	return b, nil
}

func openEngine(flags uint32, name *uint16) (windows.Handle, error) {
	s := fwpmSession0{displayData: fwpmDisplayData0{name: name}, flags: flags, txnWaitTimeoutInMSec: 10000}
	var h windows.Handle
	r, _, _ := procEngineOpen0.Call(0, rpcCAuthnWinNT, 0, uintptr(unsafe.Pointer(&s)), uintptr(unsafe.Pointer(&h)))
	if err := wfpErr(r, "opening the filtering engine"); err != nil {
		return 0, err
	}
	return h, nil
}

func (b *wfpBackend) describe() string { return "WFP sublayer " + windows.UTF16PtrToString(b.name) }

func (b *wfpBackend) close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	procEngineClose0.Call(uintptr(b.dynamic))
	procEngineClose0.Call(uintptr(b.static))
	return nil
}

// transaction runs f in a WFP transaction on h: all of it or none.
func transaction(h windows.Handle, f func() error) error {
	runtime.LockOSThread() // WFP transactions belong to the calling thread
	defer runtime.UnlockOSThread()
	r, _, _ := procTransactionBegin0.Call(uintptr(h), 0)
	if err := wfpErr(r, "beginning a transaction"); err != nil {
		return err
	}
	if err := f(); err != nil {
		procTransactionAbort0.Call(uintptr(h))
		return err
	}
	r, _, _ = procTransactionCommit0.Call(uintptr(h))
	return wfpErr(r, "committing the filters")
}

// clear deletes every filter and the sublayer a rule set of ours can have
// made on h (the keys are fixed).
func clear(h windows.Handle) error {
	for i := range maxFilters {
		k := filterKey(i)
		r, _, _ := procFilterDeleteByKey0.Call(uintptr(h), uintptr(unsafe.Pointer(&k)))
		if r != 0 && r != fwpEFilterNotFound {
			return wfpErr(r, "deleting a filter")
		}
	}
	r, _, _ := procSubLayerDeleteByKey0.Call(uintptr(h), uintptr(unsafe.Pointer(&svpnSublayer)))
	if r != 0 && r != fwpESublayerNotFound {
		return wfpErr(r, "deleting the sublayer")
	}
	return nil
}

func (b *wfpBackend) remove() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := transaction(b.static, func() error { return clear(b.static) }); err != nil {
		return err
	}
	return transaction(b.dynamic, func() error { return clear(b.dynamic) })
}

func (b *wfpBackend) apply(p Policy, rules []Rule) error {
	fs := wfpFilters(p, rules, time.Now())
	if len(fs) > maxFilters {
		return fmt.Errorf("firewall: %d filters, at most %d", len(fs), maxFilters)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	h, other, persistent := b.dynamic, b.static, false
	if p.KillSwitch {
		h, other, persistent = b.static, b.dynamic, true
	}
	if err := transaction(other, func() error { return clear(other) }); err != nil {
		return err
	}
	return transaction(h, func() error {
		if err := clear(h); err != nil {
			return err
		}
		sl := fwpmSublayer0{subLayerKey: svpnSublayer, displayData: fwpmDisplayData0{name: b.name}, weight: 0xffff}
		if persistent {
			sl.flags = fwpmSublayerFlagPersistent
		}
		r, _, _ := procSubLayerAdd0.Call(uintptr(h), uintptr(unsafe.Pointer(&sl)), 0)
		if r != 0 && r != fwpEAlreadyExists {
			return wfpErr(r, "adding the sublayer")
		}
		for i, f := range fs {
			if err := addFilter(h, i, f, b.name, persistent); err != nil {
				return err
			}
		}
		return nil
	})
}

// addFilter turns f into an FWPM_FILTER0 and adds it. Everything the
// structure points to is allocated here and kept alive until the call
// returns.
func addFilter(h windows.Handle, i int, f wfpFilter, name *uint16, persistent bool) error {
	var pins []any // keeps the pointed-to values alive across the call
	conds := make([]fwpmFilterCondition0, 0, len(f.Conditions))
	for _, c := range f.Conditions {
		fc := fwpmFilterCondition0{matchType: fwpMatchEqual}
		switch c.Field {
		case fieldLoopback:
			fc.fieldKey, fc.matchType = condFlags, fwpMatchFlagsAll
			fc.value = fwpValue0{typ: fwpUint32, value: fwpConditionFlagIsLoopback}
		case fieldLocalInterface:
			luid, err := interfaceLUID(c.Interface)
			if err != nil {
				return err
			}
			pins = append(pins, luid)
			fc.fieldKey, fc.value = condLocalInterface, fwpValue0{typ: fwpUint64, value: uintptr(unsafe.Pointer(luid))}
		case fieldProtocol:
			fc.fieldKey, fc.value = condProtocol, fwpValue0{typ: fwpUint8, value: uintptr(c.Value)}
		case fieldRemotePort:
			fc.fieldKey, fc.value = condRemotePort, fwpValue0{typ: fwpUint16, value: uintptr(c.Value)}
		case fieldLocalPort, fieldICMPType:
			fc.fieldKey, fc.value = condLocalPort, fwpValue0{typ: fwpUint16, value: uintptr(c.Value)}
		case fieldRemoteAddr:
			fc.fieldKey = condRemoteAddr
			if c.Prefix.Addr().Is4() {
				v := &fwpV4AddrAndMask{addr: be32(c.Prefix.Addr()), mask: mask32(c.Prefix.Bits())}
				pins = append(pins, v)
				fc.value = fwpValue0{typ: fwpV4AddrMask, value: uintptr(unsafe.Pointer(v))}
			} else {
				v := &fwpV6AddrAndMask{addr: c.Prefix.Addr().As16(), prefixLength: uint8(c.Prefix.Bits())}
				pins = append(pins, v)
				fc.value = fwpValue0{typ: fwpV6AddrMask, value: uintptr(unsafe.Pointer(v))}
			}
		default:
			return errors.New("firewall: unknown WFP condition")
		}
		conds = append(conds, fc)
	}
	weight := f.Weight
	display, err := windows.UTF16PtrFromString(f.Name)
	if err != nil {
		return err
	}
	flt := fwpmFilter0{
		filterKey:   filterKey(i),
		displayData: fwpmDisplayData0{name: name, description: display},
		layerKey:    layerConnectV4GUID,
		subLayerKey: svpnSublayer,
		weight:      fwpValue0{typ: fwpUint64, value: uintptr(unsafe.Pointer(&weight))},
		action:      fwpmAction0{typ: fwpActionPermit},
		flags:       fwpmFilterFlagClearAction,
	}
	if f.Layer == layerConnectV6 {
		flt.layerKey = layerConnectV6GUID
	}
	if f.Block {
		flt.action.typ = fwpActionBlock
	}
	if persistent {
		flt.flags |= fwpmFilterFlagPersistent
	}
	if len(conds) > 0 {
		flt.numFilterConditions = uint32(len(conds))
		flt.filterCondition = &conds[0]
	}
	var id uint64
	r, _, _ := procFilterAdd0.Call(uintptr(h), uintptr(unsafe.Pointer(&flt)), 0, uintptr(unsafe.Pointer(&id)))
	runtime.KeepAlive(pins)
	runtime.KeepAlive(conds)
	runtime.KeepAlive(display)
	runtime.KeepAlive(&weight)
	return wfpErr(r, "adding filter "+f.String())
}

// interfaceLUID looks the tunnel adapter up by its alias.
func interfaceLUID(alias string) (*uint64, error) {
	a, err := windows.UTF16PtrFromString(alias)
	if err != nil {
		return nil, err
	}
	luid := new(uint64)
	r, _, _ := procConvertInterfaceAliasToLuid.Call(uintptr(unsafe.Pointer(a)), uintptr(unsafe.Pointer(luid)))
	if r != 0 {
		return nil, fmt.Errorf("firewall: interface %q: %w", alias, syscall.Errno(r))
	}
	return luid, nil
}

// be32 is a as WFP's FWP_V4_ADDR_AND_MASK wants it: a host-order number.
func be32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func mask32(bits int) uint32 {
	if bits == 0 {
		return 0
	}
	return ^uint32(0) << (32 - bits)
}
