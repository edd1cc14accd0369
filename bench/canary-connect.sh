#!/usr/bin/env bash
# Connect-mode canary under a connect flood, against PortSentry in the same run.
#
#   bench/canary-connect.sh [CONNECTIONS] [SOURCES] [RATE]
#
# Each tool runs in a network namespace of its own, with connflood.
# defaults: 200000 connections from 1000 sources (127.1.x.y) to 2202 and 2244 ($PORTS),
# RATE 0 (as fast as connflood goes). Needs root (the canary drops to nobody;
# PortSentry runs in a mount namespace of its own with a private /dev/log
# whose receiver counts its "attackalert: Connect from host" lines). Build first:
#   cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release && ninja -C build portscope
#   PORTSCOPE_SETUP_BENCH=1 scripts/setup   # portsentry, sqlite3, time
#
# For each tool it reports: connections established (connflood), probes the
# tool recorded, ListenOverflows during the run (/proc/net/netstat: a
# connection the kernel dropped before the tool could accept it), the rate,
# the tool's CPU seconds and peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200000}
SOURCES=${2:-1000}
RATE=${3:-0}
PORTS=${PORTS:-2202,2244}
BIN=build/portscope
WORK=$(mktemp -d /tmp/portscope-bench-canary.XXXXXX)
chmod 0777 "$WORK"
pids=()
# Each tool gets a network namespace of its own (its own loopback): no port
# or TIME-WAIT left by one run, by the other tool or by anyone else's test
# gets in the way, and ListenOverflows counts only its connections.
NS_CANARY=canary-bench-$$-c
NS_SENTRY=canary-bench-$$-p
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.2
  ip netns del "$NS_CANARY" 2>/dev/null || true
  ip netns del "$NS_SENTRY" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

[[ $(id -u) -eq 0 ]] || { echo "needs root" >&2; exit 1; }
cc -O2 -o "$WORK/connflood" ../shared/bench/connflood.c
for ns in "$NS_CANARY" "$NS_SENTRY"; do
  ip netns add "$ns"
  ip -n "$ns" link set lo up
done

overflows() { ip netns exec "$1" awk '/^TcpExt:/ { if (!h) { for (i = 1; i <= NF; i++) n[i] = $i; h = 1 } else for (i = 1; i <= NF; i++) if (n[i] == "ListenOverflows") print $i }' /proc/net/netstat; }
# utime+stime of PID in seconds, and VmHWM (peak RSS) in KiB.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"; }
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
flood() { ip netns exec "$1" "$WORK/connflood" -d 127.0.0.1 -P "$PORTS" -S "$SOURCES" -b 127.1.0.1 -n "$N" -r "$RATE" -t 100 -c "${CONC:-256}" | tail -1; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2"; }

echo "== portscope canary (connect mode), $N connections from $SOURCES sources to $PORTS, rate ${RATE:-max}"
ip netns exec "$NS_CANARY" "$BIN" canary --ports "${PORTS//,//tcp,}/tcp" --bind 127.0.0.1 --db "$WORK/c.db" --quiet 2>"$WORK/canary.err" &
cpid=$!
pids+=("$cpid")
for _ in $(seq 50); do [[ -e "$WORK/c.db-wal" ]] && break; sleep 0.1; done
sleep 0.3
kill -0 "$cpid" 2>/dev/null || { echo "the canary did not start:" >&2; cat "$WORK/canary.err" >&2; exit 1; }
o0=$(overflows "$NS_CANARY")
c0=$(cpu_s "$cpid")
sum=$(flood "$NS_CANARY")
o1=$(overflows "$NS_CANARY")
c1=$(cpu_s "$cpid")
hwm=$(hwm_kib "$cpid")
kill -TERM "$cpid"
wait "$cpid" || { echo "canary exit status $?" >&2; cat "$WORK/canary.err" >&2; }
recorded=$(sqlite3 "$WORK/c.db" "SELECT coalesce(sum(count), 0) FROM events")
rows=$(sqlite3 "$WORK/c.db" "SELECT count(*) FROM events")
dropped=$(sqlite3 "$WORK/c.db" "SELECT coalesce(sum(events_dropped), 0) FROM runs")
est=$(field ok "$sum")
# Connections that reached the listener: established, plus those connflood
# counts as "other" because an error (a reset) came after the handshake.
reached=$(( $(field started "$sum") - $(field refused "$sum") - $(field timeout "$sum") - $(field bindfail "$sum") ))
echo "connflood: $sum"
echo "portscope: established=$est reached=$reached recorded=$recorded (rows $rows, queue drops $dropped)" \
     "listen_overflows=$((o1 - o0)) rate=$(field rate "$sum")/s cpu_s=$(echo "$c1 - $c0" | bc) peak_rss_mib=$(echo "scale=1; $hwm / 1024" | bc)"
if [[ "$recorded" == "$reached" && $((o1 - o0)) -eq 0 ]]; then
  echo "portscope: every connection that reached the port recorded, no listen overflow"
else
  echo "portscope: MISMATCH (recorded $recorded of $reached, $((o1 - o0)) listen overflows)"
fi

if ! command -v portsentry >/dev/null; then
  echo "== PortSentry: not installed (PORTSCOPE_SETUP_BENCH=1 scripts/setup)"
  exit 0
fi
echo "== PortSentry 1.2 (portsentry -tcp, same ports, same load)"
# Its config has a fixed path and it logs only to syslog: a private mount
# namespace gets a config naming the same ports, and a /dev/log whose
# receiver counts each "attackalert: Connect from host" line.
mkdir -p "$WORK/etc" "$WORK/dev" "$WORK/lib"
sed -e "s/^TCP_PORTS=.*/TCP_PORTS=\"${PORTS}\"/" -e 's/^BLOCK_TCP=.*/BLOCK_TCP="0"/' -e 's/^BLOCK_UDP=.*/BLOCK_UDP="0"/' \
    -e "s|^HISTORY_FILE=.*|HISTORY_FILE=\"$WORK/lib/history\"|" -e "s|^BLOCKED_FILE=.*|BLOCKED_FILE=\"$WORK/lib/blocked\"|" \
    /etc/portsentry/portsentry.conf >"$WORK/etc/portsentry.conf"
cp /etc/portsentry/portsentry.ignore.static "$WORK/etc/portsentry.ignore" 2>/dev/null || echo 127.0.0.1 >"$WORK/etc/portsentry.ignore"
cat >"$WORK/syslog.py" <<'EOF'
import socket, sys, os, signal
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o666)
n = 0
def done(*_):
    open(sys.argv[2], "w").write(str(n)); sys.exit(0)
signal.signal(signal.SIGTERM, done)
open(sys.argv[2] + ".ready", "w").write("1")
while True:
    if b"attackalert: Connect from host" in s.recv(65536): n += 1
EOF
cat >"$WORK/ns.sh" <<EOF
set -e
mount --make-rprivate /
touch "$WORK/dev/null" && mount --bind /dev/null "$WORK/dev/null"
touch "$WORK/dev/urandom" && mount --bind /dev/urandom "$WORK/dev/urandom"
python3 "$WORK/syslog.py" "$WORK/dev/log" "$WORK/alerts" & echo \$! >"$WORK/syslog.pid"
while [ ! -e "$WORK/alerts.ready" ]; do sleep 0.05; done
mount --bind "$WORK/dev" /dev
mount --bind "$WORK/etc" /etc/portsentry
exec portsentry -tcp
EOF
ip netns exec "$NS_SENTRY" unshare -m bash "$WORK/ns.sh" &
pids+=($!)
for _ in $(seq 50); do
  spid=$(pgrep -n -x portsentry || true)
  [[ -n "$spid" ]] && ip netns exec "$NS_SENTRY" ss -ltnH "sport = :${PORTS##*,}" | grep -q . && break
  sleep 0.1
done
[[ -n "${spid:-}" ]] || { echo "PortSentry did not start" >&2; exit 1; }
pids+=("$spid" "$(cat "$WORK/syslog.pid")")
sleep 0.3
o0=$(overflows "$NS_SENTRY")
c0=$(cpu_s "$spid")
sum=$(flood "$NS_SENTRY")
sleep 1  # let its syslog lines drain
o1=$(overflows "$NS_SENTRY")
c1=$(cpu_s "$spid")
hwm=$(hwm_kib "$spid")
kill -TERM "$spid"
kill -TERM "$(cat "$WORK/syslog.pid")"
for _ in $(seq 50); do [[ -s "$WORK/alerts" ]] && break; sleep 0.1; done
est=$(field ok "$sum")
echo "connflood: $sum"
echo "portsentry: established=$est recorded=$(cat "$WORK/alerts") listen_overflows=$((o1 - o0))" \
     "rate=$(field rate "$sum")/s cpu_s=$(echo "$c1 - $c0" | bc) peak_rss_mib=$(echo "scale=1; $hwm / 1024" | bc)"
