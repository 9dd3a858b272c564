# Shell functions the iperf benchmarks share (bench-iperf.sh,
# bench-iperf-tcp.sh); sourced after NAME is set to the script's name.

# bench_init GPREFIX CPREFIX TOOL...: checks SECS and ROUNDS, root and the
# tools; sets ID, the namespace names G and C, and TMP, and removes them
# all (and every PID listed in $TMP/pids) on exit.
bench_init() {
	gp=$1 cp=$2
	shift 2
	# iperf3 reads -t x as "no limit": refuse anything but a positive count.
	for v in "SECS=$SECS" "ROUNDS=$ROUNDS"; do
		case ${v#*=} in '' | *[!0-9]* | 0) echo "$NAME: $v: want a positive whole number" >&2; exit 2 ;; esac
	done
	if [ "$(id -u)" -ne 0 ]; then echo "$NAME: needs root (network namespaces); skipped"; exit 0; fi
	for t in "$@"; do command -v "$t" >/dev/null || { echo "$NAME: $t missing; run make deps"; exit 1; }; done
	ID=$$
	G=svpn-$gp-$ID C=svpn-$cp-$ID
	TMP=$(mktemp -d)
	trap bench_cleanup EXIT INT TERM
}

bench_cleanup() {
	for p in $(cat "$TMP"/pids 2>/dev/null); do kill "$p" 2>/dev/null || true; done
	for p in $(cat "$TMP"/pids 2>/dev/null); do wait "$p" 2>/dev/null || true; done
	ip netns del "$G" 2>/dev/null || true
	ip netns del "$C" 2>/dev/null || true
	rm -rf "$TMP"
}

# die MESSAGE: stops the benchmark with the tail of every log.
die() {
	echo "$NAME: $*" >&2
	for f in "$TMP"/*.log; do [ -s "$f" ] && { echo "--- $(basename "$f")" >&2; tail -20 "$f" >&2; }; done
	exit 1
}

# wait_for SECONDS WHAT COMMAND...: polls COMMAND every 0.1 s until it
# succeeds; fails the benchmark, with the logs, after SECONDS.
wait_for() {
	secs=$1 what=$2
	shift 2
	n=0
	until "$@" >/dev/null 2>&1; do
		n=$((n + 1))
		[ $n -lt $((secs * 10)) ] || die "timed out after ${secs}s waiting for $what"
		sleep 0.1
	done
}

# listening NS ADDR PORT: a TCP socket listens on ADDR:PORT in NS.
listening() { [ -n "$(ip netns exec "$1" ss -Hltn "src $2 and sport = :$3")" ]; }

# cputicks PID...: user+system clock ticks the processes used so far.
cputicks() { for p in "$@"; do awk '{ print $14 + $15 }' /proc/"$p"/stat; done | awk '{ s += $1 } END { print s }'; }

# demo_field FILE KEY: a top-level string of the demo's demo.json (indented
# by two spaces; the "users" array repeats some keys deeper down).
demo_field() { sed -n "s/^  \"$2\": \"\(.*\)\",\{0,1\}\$/\1/p" "$1"; }
