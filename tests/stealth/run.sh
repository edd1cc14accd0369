#!/usr/bin/env bash
# Acceptance test of `portscope canary --stealth` (issue 5): two network
# namespaces made here (canary and scanner, one veth pair), real nmap scans
# (-sS -sF -sN -sX -sA -sU) and a masscan scan of the watched ports, each
# from a source address of its own.
#
#   - every scan raises an alert with its source and scan type
#     (`portscope alerts --json`);
#   - the canary's host sends nothing to the scanner but ARP (tcpdump on the
#     scanner's side);
#   - nmap reports every watched port filtered (open|filtered for the scans
#     whose only "open" answer is silence), never closed or open;
#   - an IPv6 SYN scan alerts too, and a UDP probe's first bytes are stored
#     (and shown escaped by `portscope events`);
#   - the nftables table is gone after the canary exits;
#   - kill -9 of the canary leaves the table; the next start replaces it and
#     its exit removes it.
#
# Usage: tests/stealth/run.sh PORTSCOPE_BINARY [ARTIFACT_DIR]
# Exit 77 (skipped) when not root or a tool is missing.
set -uo pipefail

bin=${1:?usage: run.sh PORTSCOPE_BINARY [ARTIFACT_DIR]}
# Without ARTIFACT_DIR, a temporary one, removed at exit unless a check failed.
own_art=0
if [[ -n "${2:-}" ]]; then art=$2; else art=$(mktemp -d); own_art=1; fi
bin=$(realpath "$bin")
mkdir -p "$art"
if [[ $(id -u) -ne 0 ]]; then echo "SKIP: needs root (network namespaces, nftables, capture)"; exit 77; fi
for tool in ip nft nmap masscan jq timeout tcpdump; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed (scripts/setup installs it)"; exit 77; }
done

# Names unique to this run (branch tag + pid), so parallel runs never collide.
tag="st$$"
ns_c="ps-stealth-c-$$"
ns_s="ps-stealth-s-$$"
veth_c="${tag}c"
veth_s="${tag}s"
canary_ip=10.213.0.1
ports="2202,2244,40000-40005"
nmap_ports="2202,2244,40000-40005"
watched=(2202 2244 40000 40001 40002 40003 40004 40005)
db="$art/canary.db"
failures=0
supervisor=""

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

cleanup() {
  [[ -n "$supervisor" ]] && kill -TERM "$supervisor" 2>/dev/null
  for ns in "$ns_s" "$ns_c"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
  if ((own_art && failures == 0)); then rm -rf "$art"; elif ((failures)); then echo "artifacts: $art"; fi
}
trap cleanup EXIT

ip netns add "$ns_c" && ip netns add "$ns_s" || { echo "FAIL: ip netns add"; exit 1; }
ip link add "$veth_c" type veth peer name "$veth_s" || { echo "FAIL: veth"; exit 1; }
ip link set "$veth_c" netns "$ns_c"
ip link set "$veth_s" netns "$ns_s"
ip -n "$ns_c" addr add "$canary_ip/24" dev "$veth_c"
ip -n "$ns_s" addr add 10.213.0.10/24 dev "$veth_s"
for i in 11 12 13 14 15 16 17; do ip -n "$ns_s" addr add "10.213.0.$i/24" dev "$veth_s"; done
ip -n "$ns_c" addr add fd00:213::1/64 dev "$veth_c" nodad
ip -n "$ns_s" addr add fd00:213::11/64 dev "$veth_s" nodad
for ns in "$ns_c" "$ns_s"; do ip -n "$ns" link set lo up; done
ip -n "$ns_c" link set "$veth_c" up
ip -n "$ns_s" link set "$veth_s" up
canary_mac=$(ip -n "$ns_c" -j link show "$veth_c" | jq -r '.[0].address')

# Starts the canary in the background; sets $supervisor; waits for its
# start-up line in $1 (stderr file).
start_canary() {
  local err=$1
  ip netns exec "$ns_c" "$bin" canary --stealth --ports "$ports" --db "$db" --json "$art/canary.json" \
    --interface "$veth_c" 2>"$err" &
  supervisor=$!
  for _ in $(seq 100); do
    grep -q "canary watching" "$err" && return 0
    kill -0 "$supervisor" 2>/dev/null || break
    sleep 0.1
  done
  echo "canary did not start:"; cat "$err"; return 1
}
table_present() { ip netns exec "$ns_c" nft list tables | grep -q "inet portscope"; }
# Waits (at most 10 s) for $1 to exit; sets $status.
wait_exit() {
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  wait "$1"; status=$?
}

# Bad input: one clear message, a non-zero exit, and no table left behind.
ip netns exec "$ns_c" "$bin" canary --stealth --ports "$ports" --db "$db" --interface nosuch0 >/dev/null 2>"$art/bad-if.err"
rc=$?
[[ $rc -ne 0 ]] && grep -q "no interface 'nosuch0'" "$art/bad-if.err" ||
  fail "bad interface: exit $rc, $(cat "$art/bad-if.err")"
table_present && fail "a table was left by the start that failed"
"$bin" canary --ports "$ports" --db "$db" --interface lo >/dev/null 2>"$art/no-stealth.err"
rc=$?
[[ $rc -eq 2 ]] && grep -q "apply to --stealth only" "$art/no-stealth.err" ||
  fail "--interface without --stealth: exit $rc, $(cat "$art/no-stealth.err")"

start_canary "$art/canary-1.err" || exit 1
table_present || fail "no nftables table while the canary runs"

# Everything the canary's host sends during the scans, seen from the scanner.
ip netns exec "$ns_s" tcpdump -i "$veth_s" -n -U -w "$art/from-canary.pcap" "src host $canary_ip and not arp" \
  2>"$art/tcpdump.err" &
tcpdump_pid=$!
for _ in $(seq 50); do grep -q "listening on" "$art/tcpdump.err" && break; sleep 0.1; done

# One source address per scan, so that each is an alert of its own.
declare -A source=([sS]=10.213.0.11 [sF]=10.213.0.12 [sN]=10.213.0.13 [sX]=10.213.0.14 [sA]=10.213.0.15
                   [sU]=10.213.0.16)
declare -A kind=([sS]=syn [sF]=fin [sN]=null [sX]=xmas [sA]=ack [sU]=udp [masscan]=syn)
source[masscan]=10.213.0.17
for scan in sS sF sN sX sA sU; do
  timeout 120 ip netns exec "$ns_s" nmap -n -Pn "-$scan" -S "${source[$scan]}" -e "$veth_s" -T4 --max-retries 1 \
    -p "$nmap_ports" -oX "$art/nmap-$scan.xml" "$canary_ip" >/dev/null 2>"$art/nmap-$scan.err" \
    || fail "nmap -$scan failed: $(cat "$art/nmap-$scan.err")"
  for port in "${watched[@]}"; do
    state=$(grep -o "portid=\"$port\"><state state=\"[^\"]*\"" "$art/nmap-$scan.xml" | sed 's/.*state="//; s/"$//')
    case "$state" in
      filtered | "open|filtered") ;;
      *) fail "nmap -$scan: port $port is '$state', not filtered" ;;
    esac
  done
done
timeout 120 ip netns exec "$ns_s" nmap -6 -n -Pn -sS -S fd00:213::11 -e "$veth_s" -T4 --max-retries 1 \
  -p "$nmap_ports" -oX "$art/nmap-6sS.xml" fd00:213::1 >/dev/null 2>"$art/nmap-6sS.err" ||
  fail "nmap -6 -sS failed: $(cat "$art/nmap-6sS.err")"
[[ $(grep -c 'state state="filtered"' "$art/nmap-6sS.xml") -eq ${#watched[@]} ]] ||
  fail "nmap -6 -sS: not every watched port filtered"
# A UDP probe with bytes worth escaping, from its own address.
ip netns exec "$ns_s" bash -c 'printf "probe\033[31m<b>x" >/dev/udp/'"$canary_ip"'/2244'
timeout 60 ip netns exec "$ns_s" masscan "$canary_ip" "-p$ports" --adapter "$veth_s" --adapter-ip "${source[masscan]}" \
  --router-mac "$canary_mac" --rate 1000 --wait 1 >"$art/masscan.out" 2>&1
rc=$?
[[ $rc -eq 0 || $rc -eq 124 ]] || fail "masscan failed ($rc): $(tail -3 "$art/masscan.out")"

sleep 1
kill -TERM "$tcpdump_pid"
wait "$tcpdump_pid"
sent=$(tcpdump -n -r "$art/from-canary.pcap" 2>/dev/null | wc -l)
[[ $sent -eq 0 ]] || fail "the canary's host answered $sent packets: $(tcpdump -n -r "$art/from-canary.pcap" 2>/dev/null | head -3)"

kill -TERM "$supervisor"
wait_exit "$supervisor"
supervisor=""
[[ $status -eq 0 ]] || fail "canary exit status $status: $(tail -5 "$art/canary-1.err")"
table_present && fail "the nftables table is still there after the canary exited"
grep -q "0 dropped by the ring" "$art/canary-1.err" || fail "capture drops: $(grep 'capture on' "$art/canary-1.err")"

"$bin" alerts --db "$db" --json >"$art/alerts.json" || fail "portscope alerts failed"
source[6sS]=fd00:213::11
kind[6sS]=syn
for scan in sS sF sN sX sA sU masscan 6sS; do
  kinds=$(jq -r --arg ip "${source[$scan]}" '[.[] | select(.source.ip == $ip) | .portscope.scan.kind] | unique | join(",")' \
    "$art/alerts.json")
  [[ ",$kinds," == *",${kind[$scan]},"* ]] || fail "$scan from ${source[$scan]}: alert kinds '$kinds', expected ${kind[$scan]}"
done

"$bin" events --db "$db" --port 2244 --transport udp --source 10.213.0.10 --json >"$art/udp-event.json"
[[ $(jq -r '.[0].portscope.payload.base64' "$art/udp-event.json" | base64 -d) == $'probe\e[31m<b>x' ]] ||
  fail "the UDP probe's bytes were not stored: $(cat "$art/udp-event.json")"
"$bin" events --db "$db" --port 2244 --transport udp --source 10.213.0.10 >"$art/udp-event.txt"
grep -q $'\e' "$art/udp-event.txt" && fail "an escape byte reached the terminal output: $(cat -v "$art/udp-event.txt")"

# kill -9: the supervisor dies, the canary stops, the table stays; the next
# start replaces it, and that run's exit removes it.
start_canary "$art/canary-2.err" || exit 1
child=$(ip netns pids "$ns_c" | grep -vx "$supervisor" | head -1)
kill -KILL "$supervisor"
wait "$supervisor" 2>/dev/null
supervisor=""
for _ in $(seq 100); do [[ -n "$child" ]] && kill -0 "$child" 2>/dev/null || break; sleep 0.1; done
[[ -n "$child" ]] && kill -0 "$child" 2>/dev/null && fail "the canary outlived its killed supervisor"
table_present || fail "expected the table to be left behind by kill -9"
start_canary "$art/canary-3.err" || exit 1
grep -q "left by an earlier run" "$art/canary-3.err" || fail "the leftover table was not reported"
table_present || fail "no table after the restart"
kill -INT "$supervisor"
wait_exit "$supervisor"
supervisor=""
[[ $status -eq 0 ]] || fail "restarted canary exit status $status"
table_present && fail "the table is still there after the restarted canary exited"

if [[ $failures -gt 0 ]]; then
  echo "$failures failure(s); artifacts in $art"
  exit 1
fi
echo "ok: 6 nmap scans, nmap -6 -sS and a masscan scan alerted with their types; ports filtered; nothing sent; UDP bytes stored and escaped; table removed (artifacts in $art)"
