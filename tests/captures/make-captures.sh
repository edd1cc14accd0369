#!/usr/bin/env bash
# make-captures.sh - regenerate the reference packet captures in tests/captures/.
#
# Run by hand, as root, on a scratch machine (not by CI).  It creates two network
# namespaces joined by a veth pair, starts real listeners in the target namespace,
# and records one small pcap per scenario with tcpdump on the target-side veth:
#
#   ps-scan-a   10.77.0.1/24   scanner   (veth ps-scan-va)
#   ps-scan-b   10.77.0.2/24   target    (veth ps-scan-vb)
#
# Target listeners: TCP 22 (socat, SSH-like banner), TCP 80 (python3 http.server),
# TCP 443 (socat, plain TCP), UDP 53 (tiny python3 DNS responder, UDP only).
#
# Every scanner / client step runs under `timeout` and every wait loop is
# bounded; the whole run takes ~2.5 minutes (the -T1 scenario alone is ~90 s).
# On exit (normal, error or Ctrl-C) the trap kills only the processes inside the
# two namespaces (listeners, tcpdump; by PID, from `ip netns pids`) and deletes
# the two namespaces by name.  At the end it prints a summary table and rewrites
# expected.tsv with derive-expected.sh.  OUT=dir writes the pcaps elsewhere.
#
# Needs: nmap masscan tcpdump iproute2 curl dnsutils(dig) socat python3
set -euo pipefail

NS_A=ps-scan-a            # scanner
NS_B=ps-scan-b            # target
IF_A=ps-scan-va
IF_B=ps-scan-vb
IP_A=10.77.0.1
IP_B=10.77.0.2
SNAPLEN=256

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${OUT:-$HERE}
WORK=$(mktemp -d /tmp/ps-captures.XXXXXX)
PY=/usr/bin/python3
START_TS=$(date +%s)

log() { printf '[%4ds] %s\n' "$(( $(date +%s) - START_TS ))" "$*" >&2; }

[[ $(id -u) -eq 0 ]] || { echo "must run as root" >&2; exit 1; }
for t in nmap masscan tcpdump ip curl dig socat timeout "$PY"; do
  command -v "$t" >/dev/null || { echo "missing tool: $t" >&2; exit 1; }
done

# ---------------------------------------------------------------- cleanup
kill_ns_pids() {  # kill only processes living inside our namespace, by PID
  local ns=$1 sig=$2 pids
  pids=$(ip netns pids "$ns" 2>/dev/null || true)
  [[ -n $pids ]] && kill -"$sig" $pids 2>/dev/null || true
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for ns in "$NS_A" "$NS_B"; do
    if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
      kill_ns_pids "$ns" TERM
    fi
  done
  sleep 0.5
  for ns in "$NS_A" "$NS_B"; do
    if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
      kill_ns_pids "$ns" KILL
      ip netns del "$ns" 2>/dev/null || true
    fi
  done
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A leftover from an interrupted run: these names belong to this script only.
for ns in "$NS_A" "$NS_B"; do
  if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
    log "removing stale namespace $ns"
    kill_ns_pids "$ns" KILL
    ip netns del "$ns"
  fi
done

# ---------------------------------------------------------------- topology
ip netns add "$NS_A"
ip netns add "$NS_B"
for ns in "$NS_A" "$NS_B"; do
  # No IPv6 at all: keeps router solicitations / MLD / DAD out of the captures.
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
  ip -n "$ns" link set lo up
done
ip link add "$IF_A" netns "$NS_A" type veth peer name "$IF_B" netns "$NS_B"
ip -n "$NS_A" addr add "$IP_A/24" dev "$IF_A"
ip -n "$NS_B" addr add "$IP_B/24" dev "$IF_B"
ip -n "$NS_A" link set "$IF_A" up
ip -n "$NS_B" link set "$IF_B" up
MAC_B=$(ip netns exec "$NS_B" cat "/sys/class/net/$IF_B/address")
MAC_A=$(ip netns exec "$NS_A" cat "/sys/class/net/$IF_A/address")
# Static neighbour entries: no kernel ARP chatter in the captures (nmap's own
# ARP host discovery still appears, as it would on a real LAN).
ip -n "$NS_A" neigh replace "$IP_B" lladdr "$MAC_B" nud permanent dev "$IF_A"
ip -n "$NS_B" neigh replace "$IP_A" lladdr "$MAC_A" nud permanent dev "$IF_B"
# nmap -sU: Linux rate-limits ICMP port unreachable (1/s burst 6) - off, target only.
ip netns exec "$NS_B" sysctl -qw net.ipv4.icmp_ratelimit=0
log "namespaces up: $NS_A $IP_A ($MAC_A) <-> $NS_B $IP_B ($MAC_B)"

# ---------------------------------------------------------------- listeners (target)
mkdir -p "$WORK/www"
printf '<!doctype html><title>portscope capture</title><p>hello from %s</p>\n' "$IP_B" >"$WORK/www/index.html"

cat >"$WORK/dns.py" <<'EOF'
# Minimal UDP DNS responder: answers every A/IN query with 10.77.0.2 (TTL 60),
# anything else with an empty NOERROR (opcode QUERY) or NOTIMP (other opcodes).
import socket, struct, sys
ip, port, limit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((ip, port))
for _ in range(limit):
    data, peer = s.recvfrom(4096)
    if len(data) < 12:
        continue
    qid, flags, qd = struct.unpack('!HHH', data[:6])
    opcode = (flags >> 11) & 0xF
    rd = flags & 0x0100
    i, q = 12, b''
    if qd >= 1:
        while i < len(data) and data[i] != 0:
            i += data[i] + 1
        q = data[12:i + 5]
    qtype = struct.unpack('!H', q[-4:-2])[0] if len(q) >= 5 else 0
    if opcode != 0:
        s.sendto(struct.pack('!HHHHHH', qid, 0x8000 | (opcode << 11) | rd | 4, 0, 0, 0, 0), peer)
        continue
    ans = b''
    if qtype == 1:
        ans = b'\xc0\x0c' + struct.pack('!HHIH', 1, 1, 60, 4) + socket.inet_aton(ip)
    hdr = struct.pack('!HHHHHH', qid, 0x8400 | rd, 1 if q else 0, 1 if ans else 0, 0, 0)
    s.sendto(hdr + q + ans, peer)
EOF

nsb() { ip netns exec "$NS_B" "$@"; }
# Background jobs are started with `ip netns exec` directly (not through a shell
# function), so $! is the PID of the process itself; note that background jobs
# of a non-interactive shell ignore SIGINT, hence SIGTERM below.
ip netns exec "$NS_B" socat -T5 "TCP4-LISTEN:22,bind=$IP_B,reuseaddr,fork" \
  SYSTEM:'echo SSH-2.0-portscope_capture' >"$WORK/ssh.log" 2>&1 &
ip netns exec "$NS_B" socat -T5 "TCP4-LISTEN:443,bind=$IP_B,reuseaddr,fork" \
  SYSTEM:'cat >/dev/null' >"$WORK/tls.log" 2>&1 &
ip netns exec "$NS_B" "$PY" -m http.server 80 --bind "$IP_B" --directory "$WORK/www" \
  >"$WORK/http.log" 2>&1 &
ip netns exec "$NS_B" "$PY" "$WORK/dns.py" "$IP_B" 53 100000 >"$WORK/dns.log" 2>&1 &

# wait (bounded) until all four listen
for _ in $(seq 1 50); do
  n=$(nsb ss -Hltnu "src $IP_B" | awk '{print $5}' | grep -Ec ':(22|53|80|443)$' || true)
  [[ $n -ge 4 ]] && break
  sleep 0.1
done
[[ $n -ge 4 ]] || { echo "listeners did not come up" >&2; nsb ss -ltnu >&2; exit 1; }
log "listeners up: tcp/22 tcp/80 tcp/443 udp/53"

# ---------------------------------------------------------------- capture helper
CAP_PID=
cap_start() {  # $1 = output pcap
  local f=$1
  rm -f "$f"
  ip netns exec "$NS_B" tcpdump -i "$IF_B" -n -s "$SNAPLEN" -U -Z root -w "$f" >"$WORK/tcpdump.log" 2>&1 &
  CAP_PID=$!
  for _ in $(seq 1 50); do
    grep -q 'listening on' "$WORK/tcpdump.log" 2>/dev/null && break
    sleep 0.1
  done
  grep -q 'listening on' "$WORK/tcpdump.log" || { echo "tcpdump did not start" >&2; cat "$WORK/tcpdump.log" >&2; exit 1; }
  sleep 0.3
}
cap_stop() {
  sleep 1.5   # let late replies / RSTs land
  kill -TERM "$CAP_PID" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$CAP_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$CAP_PID" 2>/dev/null; then
    echo "tcpdump $CAP_PID ignored SIGTERM" >&2; kill -KILL "$CAP_PID"; exit 1
  fi
  wait "$CAP_PID" 2>/dev/null || true
  CAP_PID=
}

scenario() {  # $1 = file name, $2 = time limit (s), rest = command run in scanner ns
  local name=$1 limit=$2; shift 2
  local t0=$(date +%s)
  log "$name: $*"
  cap_start "$OUT/$name"
  local rc=0
  timeout --kill-after=5 "$limit" ip netns exec "$NS_A" "$@" \
    >"$WORK/${name%.pcap}.out" 2>&1 || rc=$?
  cap_stop
  if [[ $rc -eq 124 && $name == masscan-* ]]; then
    # masscan 1.3.2 often keeps waiting long after its last packet (upstream
    # issues #144/#476); the scan itself takes well under a second here.
    log "$name: masscan stopped by its ${limit}s time limit (expected)"
  elif [[ $rc -ne 0 ]]; then
    echo "$name: scanner exited $rc" >&2; cat "$WORK/${name%.pcap}.out" >&2; exit 1
  fi
  tr '\r' '\n' <"$WORK/${name%.pcap}.out" | grep -oE '^[0-9]+/(tcp|udp) .*|Discovered open port [^ ]+' \
    | sed 's/^/    /' >&2 || true
  log "$name: done in $(( $(date +%s) - t0 ))s"
}

TCP_PORTS=1-100,443
# ---------------------------------------------------------------- scans
scenario nmap-sS.pcap 120 nmap -n -sS -p "$TCP_PORTS" "$IP_B"
scenario nmap-sT.pcap 120 nmap -n -sT -p "$TCP_PORTS" "$IP_B"
scenario nmap-sF.pcap 120 nmap -n -sF -p "$TCP_PORTS" "$IP_B"
scenario nmap-sN.pcap 120 nmap -n -sN -p "$TCP_PORTS" "$IP_B"
scenario nmap-sX.pcap 120 nmap -n -sX -p "$TCP_PORTS" "$IP_B"
scenario nmap-sA.pcap 120 nmap -n -sA -p "$TCP_PORTS" "$IP_B"
scenario nmap-sM.pcap 120 nmap -n -sM -p "$TCP_PORTS" "$IP_B"
scenario nmap-sU.pcap 180 nmap -n -sU -p 1-29,53 "$IP_B"
# -T1: one probe per 15 s; 5 ports keep it near 90 s.
scenario nmap-T1.pcap 240 nmap -n -T1 -sS -p 21,22,23,80,443 "$IP_B"
scenario masscan-syn.pcap 15 masscan "$IP_B" -p1-199,443 --rate 1000 --wait 1 --seed 1 \
  -e "$IF_A" --adapter-ip "$IP_A" --router-mac "$MAC_B"

# ---------------------------------------------------------------- benign traffic
cat >"$WORK/benign.sh" <<EOF
set -u
for i in \$(seq 1 50); do
  if [ \$(( i % 5 )) -eq 0 ]; then path=/index.html; else path="/?req=\$i"; fi
  curl -sS -o /dev/null --max-time 3 "http://$IP_B\$path" || echo "curl \$i failed"
done
for i in \$(seq 1 20); do
  dig +tries=1 +time=2 +short @$IP_B "host\$i.portscope.test" A || echo "dig \$i failed"
done
EOF
# 50 HTTP requests (1 connection each) and 20 DNS queries.
scenario benign.pcap 120 sh "$WORK/benign.sh"
if grep -q failed "$WORK/benign.out"; then grep failed "$WORK/benign.out" >&2; exit 1; fi

# ---------------------------------------------------------------- summary
describe() {
  case $1 in
    nmap-sS.pcap) echo "nmap SYN scan, tcp 1-100,443" ;;
    nmap-sT.pcap) echo "nmap connect scan, tcp 1-100,443" ;;
    nmap-sF.pcap) echo "nmap FIN scan, tcp 1-100,443" ;;
    nmap-sN.pcap) echo "nmap NULL scan, tcp 1-100,443" ;;
    nmap-sX.pcap) echo "nmap Xmas (FIN+PSH+URG) scan, tcp 1-100,443" ;;
    nmap-sA.pcap) echo "nmap ACK scan, tcp 1-100,443" ;;
    nmap-sM.pcap) echo "nmap Maimon (FIN+ACK) scan, tcp 1-100,443" ;;
    nmap-sU.pcap) echo "nmap UDP scan, udp 1-29,53" ;;
    nmap-T1.pcap) echo "nmap -T1 SYN scan, tcp 21,22,23,80,443 (15 s apart)" ;;
    masscan-syn.pcap) echo "masscan SYN scan, tcp 1-199,443, rate 1000" ;;
    benign.pcap) echo "50 HTTP GETs (curl) + 20 DNS A queries (dig)" ;;
  esac
}
echo
printf '%-18s %8s %9s  %s\n' file packets bytes contents
total=0
for f in nmap-sS nmap-sT nmap-sF nmap-sN nmap-sX nmap-sA nmap-sM nmap-sU nmap-T1 masscan-syn benign; do
  p="$OUT/$f.pcap"
  n=$(tcpdump -nn -r "$p" 2>/dev/null | wc -l)
  b=$(stat -c %s "$p")
  total=$(( total + b ))
  printf '%-18s %8d %9d  %s\n' "$f.pcap" "$n" "$b" "$(describe "$f.pcap")"
done
printf '%-18s %8s %9d\n' total '' "$total"
"$HERE/derive-expected.sh" "$OUT" >"$OUT/expected.tsv"
echo
column -t -s $'\t' "$OUT/expected.tsv" 2>/dev/null || cat "$OUT/expected.tsv"
log "all captures written to $OUT (total ${total} bytes)"
