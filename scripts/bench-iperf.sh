#!/bin/sh
# TCP throughput through SVPN's tunnel against the upstream wireguard-go
# binary on the same setup: two network namespaces joined by a veth pair,
# iperf3 across the tunnel. Root only (namespaces, TUN); prints the two
# figures and their ratio. Used by `make bench`.
set -eu

BIN=${BIN:-bin}
SECS=${SECS:-10}
if [ "$(id -u)" -ne 0 ]; then echo "bench-iperf: needs root (network namespaces); skipped"; exit 0; fi
for t in ip wg iperf3 go; do command -v $t >/dev/null || { echo "bench-iperf: $t missing; run make deps"; exit 1; }; done

ID=$$
G=svpn-bg-$ID C=svpn-bc-$ID
TMP=$(mktemp -d)
cleanup() {
	for p in $(cat "$TMP"/pids 2>/dev/null); do kill "$p" 2>/dev/null || true; done
	sleep 1
	ip netns del $G 2>/dev/null || true
	ip netns del $C 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

ip netns add $G; ip netns add $C
ip link add vg$ID type veth peer name vc$ID
ip link set vg$ID netns $G; ip link set vc$ID netns $C
ip -n $G addr add 10.204.0.1/30 dev vg$ID; ip -n $G link set vg$ID up; ip -n $G link set lo up
ip -n $C addr add 10.204.0.2/30 dev vc$ID; ip -n $C link set vc$ID up; ip -n $C link set lo up

iperf() { # server-ns server-addr
	ip netns exec "$1" iperf3 -s -B "$2" -1 >/dev/null 2>&1 &
	echo $! >> "$TMP"/pids
	sleep 0.5
	ip netns exec $C iperf3 -c "$2" -t "$SECS" -f m | awk '/receiver/ {print $7}'
}

# 1. Upstream wireguard-go, configured with wg.
go build -o "$TMP"/wireguard-go golang.zx2c4.com/wireguard
umask 077
wg genkey > "$TMP"/g.key; wg pubkey < "$TMP"/g.key > "$TMP"/g.pub
wg genkey > "$TMP"/c.key; wg pubkey < "$TMP"/c.key > "$TMP"/c.pub
# The UAPI sockets live in the shared /var/run/wireguard: one name per side.
ip netns exec $G env WG_PROCESS_FOREGROUND=1 "$TMP"/wireguard-go wgg$ID & echo $! >> "$TMP"/pids
ip netns exec $C env WG_PROCESS_FOREGROUND=1 "$TMP"/wireguard-go wgc$ID & echo $! >> "$TMP"/pids
sleep 1
ip netns exec $G wg set wgg$ID private-key "$TMP"/g.key listen-port 51900 peer "$(cat "$TMP"/c.pub)" allowed-ips 10.99.0.2/32
ip netns exec $C wg set wgc$ID private-key "$TMP"/c.key peer "$(cat "$TMP"/g.pub)" endpoint 10.204.0.1:51900 allowed-ips 10.99.0.0/24
ip -n $G addr add 10.99.0.1/24 dev wgg$ID; ip -n $G link set wgg$ID mtu 1420 up
ip -n $C addr add 10.99.0.2/24 dev wgc$ID; ip -n $C link set wgc$ID mtu 1420 up

# 2. SVPN: the gateway on a kernel TUN, svpnd with a kernel TUN, a real login.
ip netns exec $G "$BIN"/svpn-gateway demo --dir "$TMP"/demo --listen 10.204.0.1:8443 --wg-port 51901 --tun svg$ID >"$TMP"/gw.log 2>&1 &
echo $! >> "$TMP"/pids
for i in $(seq 1 100); do [ -f "$TMP"/demo/demo.json ] && break; sleep 0.2; done
CERT=$(sed -n 's/.*"cert_path": "\(.*\)".*/\1/p' "$TMP"/demo/demo.json)
ip netns exec $C "$BIN"/svpnd run --socket "$TMP"/svpnd.sock --profile "$TMP"/demo/profile.json --state-dir "$TMP"/state --tun svc$ID >"$TMP"/svpnd.log 2>&1 &
echo $! >> "$TMP"/pids
for i in $(seq 1 100); do [ -S "$TMP"/svpnd.sock ] && break; sleep 0.2; done
printf 'svpn1234!\ndemo-cert1!\nBench-pass9!\n' | ip netns exec $C "$BIN"/svpnctl --socket "$TMP"/svpnd.sock login --user test05 --cert "$CERT" --password-stdin >/dev/null
# Alternate the two tunnels, ROUNDS times each, so drift in the machine's
# load hits both alike; report the medians.
ROUNDS=${ROUNDS:-3}
: > "$TMP"/up; : > "$TMP"/sv
for r in $(seq 1 "$ROUNDS"); do
	iperf $G 10.77.0.1 >> "$TMP"/sv
	iperf $G 10.99.0.1 >> "$TMP"/up
done
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
UP=$(median "$TMP"/up) SV=$(median "$TMP"/sv)

echo "iperf3 TCP, ${SECS}s x $ROUNDS alternating rounds, 2 namespaces on this machine (medians):"
echo "  runs (Mbit/s): svpn $(tr '\n' ' ' < "$TMP"/sv)/ upstream $(tr '\n' ' ' < "$TMP"/up)"
echo "  upstream wireguard-go: $UP Mbit/s"
echo "  svpn (gateway + svpnd): $SV Mbit/s"
awk -v a="$SV" -v b="$UP" 'BEGIN { printf "  ratio svpn/upstream: %.2f\n", a / b }'
