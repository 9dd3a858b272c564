package firewall

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// The Windows rule set as data: WFP filters at the ALE connect layers
// (every outbound connection or UDP flow is authorised there), in a
// sublayer of our own, weighted in the plan's order so the first rule of
// the plan is the heaviest filter and wins. wfp_windows.go only turns
// these into FWPM_FILTER0 structures.

type wfpLayer uint8

const (
	layerConnectV4 wfpLayer = iota // FWPM_LAYER_ALE_AUTH_CONNECT_V4
	layerConnectV6                 // FWPM_LAYER_ALE_AUTH_CONNECT_V6
)

type wfpField uint8

const (
	fieldLoopback       wfpField = iota // FWPM_CONDITION_FLAGS has FWP_CONDITION_FLAG_IS_LOOPBACK
	fieldLocalInterface                 // FWPM_CONDITION_IP_LOCAL_INTERFACE (the interface's LUID)
	fieldProtocol                       // FWPM_CONDITION_IP_PROTOCOL
	fieldRemoteAddr                     // FWPM_CONDITION_IP_REMOTE_ADDRESS (address and mask)
	fieldRemotePort                     // FWPM_CONDITION_IP_REMOTE_PORT
	fieldLocalPort                      // FWPM_CONDITION_IP_LOCAL_PORT
	fieldICMPType                       // FWPM_CONDITION_ICMP_TYPE (the same key as the local port)
)

// wfpCondition is one condition; a filter's conditions on the same field
// are alternatives, on different fields all must hold (WFP's own rule).
type wfpCondition struct {
	Field     wfpField
	Prefix    netip.Prefix // fieldRemoteAddr
	Value     uint16       // ports, protocol, ICMP type
	Interface string       // fieldLocalInterface: the name, turned into a LUID when applied
}

type wfpFilter struct {
	Name       string
	Layer      wfpLayer
	Weight     uint64
	Block      bool
	Conditions []wfpCondition
}

// wfpFilters translates a plan. Socket marks do not exist in WFP and MSS
// clamping is not a filter: those rules are left out (Windows takes the
// MSS from the Wintun adapter's MTU). The captive-portal exemption is in
// the set only while it lasts; svpnd replaces the filters when it ends.
func wfpFilters(p Policy, rules []Rule, now time.Time) []wfpFilter {
	var out []wfpFilter
	for i, r := range rules {
		if r.Action == ClampMSS || r.Mark != 0 || r.Exemption && !p.ExemptUntil.After(now) {
			continue
		}
		weight := uint64(len(rules) - i)
		fams := []Family{IPv4, IPv6}
		switch {
		case len(r.Dst) > 0:
			fams = []Family{familyOf(r.Dst[0].Addr())}
		case r.Proto == ICMPv6:
			fams = []Family{IPv6}
		case r.Family != Any:
			fams = []Family{r.Family}
		}
		for _, fam := range fams {
			f := wfpFilter{Name: r.Why, Weight: weight, Block: r.Action == Reject, Layer: layerConnectV4}
			if fam == IPv6 {
				f.Layer = layerConnectV6
			}
			add := func(c wfpCondition) { f.Conditions = append(f.Conditions, c) }
			if r.Loopback {
				add(wfpCondition{Field: fieldLoopback})
			}
			if r.OutInterface != "" {
				add(wfpCondition{Field: fieldLocalInterface, Interface: r.OutInterface})
			}
			switch r.Proto {
			case TCP:
				add(wfpCondition{Field: fieldProtocol, Value: 6})
			case UDP:
				add(wfpCondition{Field: fieldProtocol, Value: 17})
			case ICMPv6:
				add(wfpCondition{Field: fieldProtocol, Value: 58})
			}
			for _, d := range r.Dst {
				add(wfpCondition{Field: fieldRemoteAddr, Prefix: d.Masked()})
			}
			for _, port := range r.DstPorts {
				add(wfpCondition{Field: fieldRemotePort, Value: port})
			}
			if r.SrcPort != 0 {
				add(wfpCondition{Field: fieldLocalPort, Value: r.SrcPort})
			}
			for _, t := range r.ICMPTypes {
				add(wfpCondition{Field: fieldICMPType, Value: uint16(t)})
			}
			out = append(out, f)
		}
	}
	return out
}

func (f wfpFilter) String() string {
	var b strings.Builder
	layer := "v4"
	if f.Layer == layerConnectV6 {
		layer = "v6"
	}
	action := "permit"
	if f.Block {
		action = "block"
	}
	fmt.Fprintf(&b, "%s w=%d %s", layer, f.Weight, action)
	for _, c := range f.Conditions {
		switch c.Field {
		case fieldLoopback:
			b.WriteString(" loopback")
		case fieldLocalInterface:
			b.WriteString(" if=" + c.Interface)
		case fieldProtocol:
			fmt.Fprintf(&b, " proto=%d", c.Value)
		case fieldRemoteAddr:
			b.WriteString(" to=" + c.Prefix.String())
		case fieldRemotePort:
			fmt.Fprintf(&b, " port=%d", c.Value)
		case fieldLocalPort:
			fmt.Fprintf(&b, " sport=%d", c.Value)
		case fieldICMPType:
			fmt.Fprintf(&b, " icmp=%d", c.Value)
		}
	}
	return b.String() + " # " + f.Name
}
