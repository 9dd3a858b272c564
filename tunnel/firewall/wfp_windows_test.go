//go:build windows && (amd64 || arm64)

package firewall

import (
	"testing"
	"unsafe"
)

// TestWFPLayout: the structures fwpuclnt.dll reads have the sizes the
// 64-bit C compiler gives them (fwpmtypes.h).
func TestWFPLayout(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"FWPM_SESSION0", unsafe.Sizeof(fwpmSession0{}), 72},
		{"FWPM_SUBLAYER0", unsafe.Sizeof(fwpmSublayer0{}), 72},
		{"FWP_VALUE0", unsafe.Sizeof(fwpValue0{}), 16},
		{"FWPM_FILTER_CONDITION0", unsafe.Sizeof(fwpmFilterCondition0{}), 40},
		{"FWPM_ACTION0", unsafe.Sizeof(fwpmAction0{}), 20},
		{"FWPM_FILTER0", unsafe.Sizeof(fwpmFilter0{}), 200},
		{"FWPM_FILTER0.providerContext offset", unsafe.Offsetof(fwpmFilter0{}.providerContext), 152},
		{"FWPM_FILTER0.filterId offset", unsafe.Offsetof(fwpmFilter0{}.filterID), 176},
		{"FWP_V6_ADDR_AND_MASK", unsafe.Sizeof(fwpV6AddrAndMask{}), 17},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d bytes, want %d", c.name, c.got, c.want)
		}
	}
	if k := filterKey(3); k == svpnSublayer || k == filterKey(4) {
		t.Error("filter keys collide")
	}
}
