//go:build linux

package firewall

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"golang.org/x/sys/unix"
)

// nftBackend enforces a plan as one nftables table of its own, family
// inet, with an output and a forward chain. Every change replaces the whole
// table in one netlink batch, which the kernel applies as one transaction:
// there is no moment with half a rule set, and no rule of anyone else's is
// touched.
type nftBackend struct {
	table string
	netns int // a network namespace's fd (tests); 0: the process's own
}

func newBackend(o Options) (backend, error) {
	name := o.Table
	if name == "" {
		name = DefaultTable
	}
	if !validTable(name) {
		return nil, fmt.Errorf("firewall: invalid nftables table name %q", name)
	}
	return &nftBackend{table: name, netns: o.netnsFD}, nil
}

func (b *nftBackend) conn() (*nftables.Conn, error) {
	var opts []nftables.ConnOption
	if b.netns != 0 {
		opts = append(opts, nftables.WithNetNSFd(b.netns))
	}
	return nftables.New(opts...)
}

func (b *nftBackend) describe() string { return "nftables table inet " + b.table }

// apply replaces the table with one that enforces rules.
func (b *nftBackend) apply(p Policy, rules []Rule) error {
	c, err := b.conn()
	if err != nil {
		return err
	}
	t := &nftables.Table{Family: nftables.TableFamilyINet, Name: b.table}
	// add (a no-op if it exists), delete, add: the old table goes and the
	// new one comes in the same transaction.
	c.AddTable(t)
	c.DelTable(t)
	c.AddTable(t)
	accept := nftables.ChainPolicyAccept
	out := c.AddChain(&nftables.Chain{Name: "output", Table: t, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookOutput, Priority: nftables.ChainPriorityFilter, Policy: &accept})
	fwd := c.AddChain(&nftables.Chain{Name: "forward", Table: t, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookForward, Priority: nftables.ChainPriorityFilter, Policy: &accept})
	var exempt *nftables.Set
	if left := time.Until(p.ExemptUntil); p.KillSwitch && !p.ExemptUntil.IsZero() {
		// The exemption's end is the kernel's to enforce: the elements
		// time out even when svpnd is gone.
		exempt = &nftables.Set{Table: t, Name: "exempt", KeyType: nftables.TypeInetProto, HasTimeout: true}
		var elems []nftables.SetElement
		if left >= time.Second {
			for _, proto := range []byte{unix.IPPROTO_TCP, unix.IPPROTO_UDP} {
				elems = append(elems, nftables.SetElement{Key: []byte{proto}, Timeout: left.Truncate(time.Second)})
			}
		}
		if err := c.AddSet(exempt, elems); err != nil {
			return fmt.Errorf("firewall: exemption set: %w", err)
		}
	}
	for _, r := range rules {
		for _, chain := range []*nftables.Chain{out, fwd} {
			if chain == out && r.InInterface != "" {
				continue // nothing leaving the PC comes in on an interface
			}
			if chain == fwd && r.Loopback {
				continue
			}
			for _, exprs := range nftExprs(r, exempt) {
				c.AddRule(&nftables.Rule{Table: t, Chain: chain, Exprs: exprs,
					UserData: userdata.AppendString(nil, userdata.TypeComment, r.Why)})
			}
		}
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("firewall: replacing nftables table %s: %w", b.table, err)
	}
	return nil
}

// remove deletes the table; one that is not there is not an error.
func (b *nftBackend) remove() error {
	c, err := b.conn()
	if err != nil {
		return err
	}
	t := &nftables.Table{Family: nftables.TableFamilyINet, Name: b.table}
	c.AddTable(t) // so the delete cannot fail with ENOENT
	c.DelTable(t)
	if err := c.Flush(); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("firewall: removing nftables table %s: %w", b.table, err)
	}
	return nil
}

func (b *nftBackend) close() error { return nil }

// nftExprs translates one rule into the expressions of one or more
// nftables rules (one per destination, port and ICMP type).
func nftExprs(r Rule, exempt *nftables.Set) [][]expr.Any {
	if r.Exemption && exempt == nil {
		return nil
	}
	dsts := []netip.Prefix{{}}
	if len(r.Dst) > 0 {
		dsts = r.Dst
	}
	ports := []uint16{0}
	if len(r.DstPorts) > 0 {
		ports = r.DstPorts
	}
	types := []int{-1}
	for _, t := range r.ICMPTypes {
		if types[0] == -1 {
			types = types[:0]
		}
		types = append(types, int(t))
	}
	var out [][]expr.Any
	for _, dst := range dsts {
		for _, port := range ports {
			for _, typ := range types {
				if r.Action == ClampMSS {
					for _, fam := range []Family{IPv4, IPv6} {
						out = append(out, clampExprs(r, fam))
					}
					continue
				}
				var e []expr.Any
				fam := r.Family
				if dst.IsValid() {
					fam = familyOf(dst.Addr())
				}
				e = append(e, matchFamily(fam)...)
				e = append(e, matchInterfaces(r)...)
				if r.Mark != 0 {
					e = append(e, &expr.Meta{Key: expr.MetaKeyMARK, Register: 1},
						&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binary.NativeEndian.AppendUint32(nil, r.Mark)})
				}
				if dst.IsValid() {
					e = append(e, matchDst(dst)...)
				}
				e = append(e, matchProto(r.Proto)...)
				if r.Exemption {
					e = append(e, &expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
						&expr.Lookup{SourceRegister: 1, SetName: exempt.Name, SetID: exempt.ID})
				}
				if r.SrcPort != 0 {
					e = append(e, transport(0, 2), &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binary.BigEndian.AppendUint16(nil, r.SrcPort)})
				}
				if port != 0 {
					e = append(e, transport(2, 2), &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binary.BigEndian.AppendUint16(nil, port)})
				}
				if typ >= 0 {
					e = append(e, transport(0, 1), &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{byte(typ)}})
				}
				e = append(e, &expr.Counter{})
				switch r.Action {
				case Accept:
					e = append(e, &expr.Verdict{Kind: expr.VerdictAccept})
				case Reject:
					e = append(e, &expr.Reject{Type: unix.NFT_REJECT_ICMPX_UNREACH, Code: unix.NFT_REJECT_ICMPX_ADMIN_PROHIBITED})
				}
				out = append(out, e)
			}
		}
	}
	return out
}

// clampExprs: tcp flags syn, tcp option maxseg size > mss → set mss.
func clampExprs(r Rule, fam Family) []expr.Any {
	mss := r.MSS
	if fam == IPv6 {
		mss -= 20
	}
	v := binary.BigEndian.AppendUint16(nil, uint16(mss))
	e := matchFamily(fam)
	e = append(e, matchInterfaces(r)...)
	e = append(e, matchProto(TCP)...)
	e = append(e,
		transport(13, 1),
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 1, Mask: []byte{0x02}, Xor: []byte{0}},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: []byte{0}},
		&expr.Exthdr{DestRegister: 1, Type: 2, Offset: 2, Len: 2, Op: expr.ExthdrOpTcpopt},
		&expr.Cmp{Op: expr.CmpOpGt, Register: 1, Data: v},
		&expr.Immediate{Register: 1, Data: v},
		&expr.Exthdr{SourceRegister: 1, Type: 2, Offset: 2, Len: 2, Op: expr.ExthdrOpTcpopt},
	)
	return e
}

func matchFamily(f Family) []expr.Any {
	var v byte
	switch f {
	case IPv4:
		v = unix.NFPROTO_IPV4
	case IPv6:
		v = unix.NFPROTO_IPV6
	default:
		return nil
	}
	return []expr.Any{&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1}, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{v}}}
}

func matchInterfaces(r Rule) []expr.Any {
	var e []expr.Any
	if r.Loopback {
		e = append(e, &expr.Meta{Key: expr.MetaKeyOIFTYPE, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binary.NativeEndian.AppendUint16(nil, unix.ARPHRD_LOOPBACK)})
	}
	if r.OutInterface != "" {
		e = append(e, &expr.Meta{Key: expr.MetaKeyOIFNAME, Register: 1}, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ifname(r.OutInterface)})
	}
	if r.InInterface != "" {
		e = append(e, &expr.Meta{Key: expr.MetaKeyIIFNAME, Register: 1}, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ifname(r.InInterface)})
	}
	return e
}

func matchProto(p Proto) []expr.Any {
	var v byte
	switch p {
	case TCP:
		v = unix.IPPROTO_TCP
	case UDP:
		v = unix.IPPROTO_UDP
	case ICMPv6:
		v = unix.IPPROTO_ICMPV6
	default:
		return nil
	}
	return []expr.Any{&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1}, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{v}}}
}

// matchDst compares the destination address with p (the family is
// matched before it).
func matchDst(p netip.Prefix) []expr.Any {
	a := p.Masked().Addr()
	off, n := uint32(16), uint32(4)
	if a.Is6() {
		off, n = 24, 16
	}
	e := []expr.Any{&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: n}}
	if p.Bits() < a.BitLen() {
		mask := make([]byte, n)
		for i := 0; i < p.Bits(); i++ {
			mask[i/8] |= 0x80 >> (i % 8)
		}
		e = append(e, &expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: n, Mask: mask, Xor: make([]byte, n)})
	}
	return append(e, &expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: a.AsSlice()})
}

func transport(off, n uint32) *expr.Payload {
	return &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: off, Len: n}
}

// ifname is an interface name as the kernel compares it: IFNAMSIZ bytes,
// NUL-padded.
func ifname(s string) []byte {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, s)
	return b
}
